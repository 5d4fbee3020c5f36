// Runs the CLI as a user does: a separate process (`node bin/redsim.js …`), no colour.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const BIN = join(ROOT, 'bin/redsim.js');

export interface CliResult {
  code: number | null;
  out: string;
  err: string;
}

/** Runs `node bin/redsim.js ...args` (or another entry) in `cwd`; resolves when it exits. */
export function redsim(args: string[], opts: { cwd?: string; entry?: string[] } = {}): Promise<CliResult> {
  return new Promise((done, fail) => {
    const entry = opts.entry ?? [process.execPath, BIN];
    const child = spawn(entry[0]!, [...entry.slice(1), ...args], { cwd: opts.cwd ?? ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    child.on('error', fail);
    child.on('close', (code) => done({ code, out, err }));
  });
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'redsim-cli-'));
}
