import { describe, expect, it } from 'vitest';
import { redsim } from './helpers.ts';

describe('redsim --help', () => {
  it('lists every command and shows examples, and so does the help of each command', async () => {
    const commands = ['run', 'start', 'validate', 'replay', 'diff', 'sweep', 'schema'];
    const [top, ...each] = await Promise.all([redsim(['--help']), ...commands.map((c) => redsim([c, '--help']))]);
    expect(top.code).toBe(0);
    for (const c of commands) expect(top.out).toMatch(new RegExp(`redsim ${c}\\b`));
    expect(top.out).toContain('Examples:');
    for (const [k, r] of each.entries()) {
      const c = commands[k]!;
      expect(r.code, c).toBe(0);
      expect(r.out, c).toMatch(new RegExp(`Examples:\\n\\s+redsim ${c} `));
    }
    const sweep = each[commands.indexOf('sweep')]!.out;
    for (const opt of ['--seeds', '--jobs', '--shard', '--out', '--merge', '--allow-gaps']) expect(sweep).toContain(opt);
    expect(each[0]!.out).toContain('--check-determinism');
  });
});
