// The import rules of docs/architecture.md, checked on every file under src/.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../src');

/** Module -> modules it may import (besides itself). Mirrors docs/architecture.md. */
export const ALLOWED: Record<string, string[]> = {
  base: [],
  protocol: ['base'],
  timeline: ['base'],
  loop: ['base', 'timeline'],
  tls: ['base'],
  kernel: ['base', 'timeline', 'loop', 'tls'],
  server: ['base', 'protocol', 'loop', 'timeline'],
  scenario: ['base', 'protocol', 'timeline', 'loop', 'kernel', 'server', 'tls'],
  report: ['base', 'timeline', 'scenario'],
  cli: ['base', 'protocol', 'timeline', 'loop', 'kernel', 'server', 'scenario', 'report', 'real'],
  real: ['base', 'protocol', 'timeline', 'loop', 'server', 'scenario', 'report'],
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Every (file, imported module) pair that crosses modules. */
export function crossImports(): Array<{ file: string; from: string; to: string }> {
  const out: Array<{ file: string; from: string; to: string }> = [];
  for (const f of files(SRC)) {
    const from = relative(SRC, f).split('/')[0]!;
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s+'(\.{1,2}\/[^']+)'/g)) {
      const target = relative(SRC, resolve(dirname(f), m[1]!)).split('/')[0]!;
      if (target !== from) out.push({ file: relative(SRC, f), from, to: target });
    }
  }
  return out;
}

describe('layering', () => {
  it('every module under src/ is listed in the layering table', () => {
    const modules = readdirSync(SRC).filter((n) => statSync(join(SRC, n)).isDirectory());
    for (const m of modules) expect(Object.keys(ALLOWED), `module ${m}`).toContain(m);
  });

  it('imports under src/ only point to modules the table allows', () => {
    const bad = crossImports().filter((i) => !ALLOWED[i.from]!.includes(i.to)).map((i) => `${i.file} imports ${i.to}/`);
    expect(bad).toEqual([]);
  });

  it('the check sees real imports (the core does import the protocol module)', () => {
    expect(crossImports().some((i) => i.from === 'server' && i.to === 'protocol')).toBe(true);
  });

  it('the core never reaches into the kernel', () => {
    expect(crossImports().filter((i) => i.from === 'server' && i.to === 'kernel')).toEqual([]);
  });

  it('no file in the simulated world reads the wall clock, Math.random, timers or the environment', () => {
    const offenders: string[] = [];
    for (const f of files(SRC)) {
      const mod = relative(SRC, f).split('/')[0]!;
      if (mod === 'cli' || mod === 'real') continue;
      const text = readFileSync(f, 'utf8').replace(/\/\/.*$/gm, '');
      if (/Math\.random|Date\.now|performance\.now|new Date\(|setTimeout|setInterval|setImmediate|process\.hrtime|process\.env/.test(text)) offenders.push(relative(SRC, f));
    }
    expect(offenders).toEqual([]);
  });
});
