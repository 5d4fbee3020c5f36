// `redsim schema`: prints or writes the JSON Schema of scenario files (schema/scenario.schema.json,
// made by `npm run schema`), derived from the validator (scenario/json-schema.ts).
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { scenarioJsonSchemaText } from '../scenario/json-schema.ts';
import { palette } from './diff.ts';

export interface SchemaArgs {
  out?: string;
  /** Only check that `out` is up to date (exit 1 when not). */
  check: boolean;
  color: boolean;
}

export function cmdSchema(a: SchemaArgs): number {
  const c = palette(a.color);
  const text = scenarioJsonSchemaText();
  if (a.out === undefined) {
    if (a.check) {
      console.error(c.red('--check needs --out FILE: the file to compare'));
      return 2;
    }
    process.stdout.write(text);
    return 0;
  }
  if (a.check) {
    let current = '';
    try {
      current = readFileSync(a.out, 'utf8');
    } catch {
      // missing: out of date
    }
    if (current === text) {
      console.log(`${c.green('up to date')}: ${a.out}`);
      return 0;
    }
    console.error(c.red(`${a.out} is out of date with src/scenario/schema.ts: run npm run schema`));
    return 1;
  }
  const tmp = `${a.out}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, a.out);
  console.log(`wrote ${a.out}`);
  return 0;
}
