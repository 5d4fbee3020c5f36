// The JSON Schema of scenario files (schema/scenario.schema.json): up to date with the validator,
// accepting every bundled scenario, and allowing exactly the keys the validator allows.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse, stringify } from 'yaml';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { findScenarios } from '../../src/cli/main.ts';
import { jsonSchemaOf, scenarioJsonSchema, scenarioJsonSchemaText, type JsonSchema } from '../../src/scenario/json-schema.ts';
import { parseScenario } from '../../src/scenario/load.ts';
import { ROOT, redsim } from './helpers.ts';

const SCHEMA_FILE = join(ROOT, 'schema/scenario.schema.json');
const ajv = new Ajv({ allErrors: true, allowUnionTypes: true });
const validate = ajv.compile(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')));

function yamlValue(text: string): unknown {
  return parse(text, { merge: true });
}

const DOC = readFileSync(join(ROOT, 'docs/scenarios.md'), 'utf8');
const DOC_EXAMPLES = [...DOC.matchAll(/<!-- runnable example: (\S+) -->\n```yaml\n([\s\S]*?)```/g)].map((m) => [m[1]!, m[2]!] as const);

describe('schema/scenario.schema.json', () => {
  it('is up to date with src/scenario/schema.ts (run `npm run schema` after changing the validator)', () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(scenarioJsonSchemaText());
  });

  it('is a valid draft-07 JSON Schema', () => {
    expect(ajv.validateSchema(scenarioJsonSchema())).toBe(true);
  });

  it.each(findScenarios(join(ROOT, 'scenarios')).map((f) => [f.slice(ROOT.length + 1), f]))('accepts the bundled scenario %s', (_, f) => {
    const ok = validate(yamlValue(readFileSync(f, 'utf8')));
    expect(validate.errors ?? [], f).toEqual([]);
    expect(ok).toBe(true);
  });

  it.each(DOC_EXAMPLES)('accepts the runnable example %s of docs/scenarios.md', (_, text) => {
    expect(validate(yamlValue(text))).toBe(true);
  });

  it('rejects a scenario with a typo in a key, as the validator does', () => {
    const text = readFileSync(join(ROOT, 'scenarios/ping-pong.yaml'), 'utf8').replace(/^horizon:/m, 'horizn:');
    expect(validate(yamlValue(text))).toBe(false);
    expect(validate.errors).toContainEqual(expect.objectContaining({ keyword: 'additionalProperties', params: { additionalProperty: 'horizn' } }));
    expect(parseScenario(text, 'x.yaml').ok).toBe(false);
    const nested = yamlValue('clients:\n  - name: c1\n    conect-at: 1s\n');
    expect(validate(nested)).toBe(false);
    expect(validate.errors).toContainEqual(expect.objectContaining({ instancePath: '/clients/0', params: { additionalProperty: 'conect-at' } }));
  });

  it('rejects values of the wrong shape: a bare duration, a step with two operations, a fault with two kinds', () => {
    expect(validate(yamlValue('horizon: 10\n'))).toBe(false);
    expect(validate(yamlValue('clients: [{name: a, script: [{call: PING, send: PING}]}]\n'))).toBe(false);
    expect(validate(yamlValue('faults: [{at: 1s, client: a, vanish: true, rst: server}]\n'))).toBe(false);
    expect(validate(yamlValue('faults: [{at: 1s, client: a, partition: both}]\n'))).toBe(false);
    expect(validate(yamlValue('expect: [{timeline: {contains: {kind: close, fd: 3}}}]\n'))).toBe(false);
    expect(validate(yamlValue('expect: [{replies: ["+OK"]}]\n'))).toBe(false);
    expect(validate(yamlValue('clients: [{name: a, script: [{wait: 1.5s}, {close: true}]}]\nfaults: [{at: 1s, client: a, partition: both, duration: 2s}]\n'))).toBe(true);
  });

  it('is referenced from docs/scenarios.md with the yaml-language-server modeline', () => {
    expect(DOC).toContain('# yaml-language-server: $schema=../schema/scenario.schema.json');
  });
});

describe('the JSON Schema stays in step with the validator', () => {
  /** A scenario with a map at each position the validator checks the keys of. */
  const BASE = yamlValue(`
server: {nofile: {soft: 10, hard: 20}, cost: {command: 1us}}
network: {latency: 1ms}
clients:
  - name: c1
    network: {latency: 1ms}
    script:
      - call: PING
      - pipeline: {commands: [PING]}
      - send: [SET, k, {fill: 10}]
faults:
  - {at: 0, client: c1, vanish: true}
  - {at: 0, client: c1, slice: {sizes: [1]}}
expect:
  - {client: c1, reply-count: 1}
  - {client: c1, closed: {reason: quit}}
  - {timeline: {contains: {kind: close}}}
`) as Record<string, unknown>;

  type Path = (string | number)[];
  const POSITIONS: Path[] = [
    [],
    ['server'],
    ['server', 'nofile'],
    ['server', 'cost'],
    ['network'],
    ['clients', 0],
    ['clients', 0, 'network'],
    ['clients', 0, 'script', 0],
    ['clients', 0, 'script', 1, 'pipeline'],
    ['clients', 0, 'script', 2, 'send', 2],
    ['faults', 0],
    ['faults', 1, 'slice'],
    ['expect', 0],
    ['expect', 1, 'closed'],
    ['expect', 2, 'timeline'],
  ];

  function get(v: unknown, path: Path): Record<string, unknown> {
    return path.reduce<unknown>((x, k) => (x as Record<string | number, unknown>)[k], v) as Record<string, unknown>;
  }

  /** The branch of a JSON Schema node that describes maps (or lists), following anyOf. */
  function branch(node: JsonSchema, want: 'object' | 'array'): JsonSchema {
    if (node.type === want) return node;
    for (const b of (node.anyOf as JsonSchema[] | undefined) ?? []) {
      if (b.type === want) return b;
    }
    throw new Error(`no ${want} in ${JSON.stringify(node).slice(0, 200)}`);
  }

  function jsonAt(schema: JsonSchema, path: Path): JsonSchema {
    let node = schema;
    for (const k of path) {
      node = typeof k === 'number' ? (branch(node, 'array').items as JsonSchema) : ((branch(node, 'object').properties as Record<string, JsonSchema>)[k] as JsonSchema);
    }
    return branch(node, 'object');
  }

  /** The keys the validator lists as allowed when it meets an unknown key at `path`. */
  function validatorKeys(path: Path, key = 'zz-unknown'): string[] {
    const doc = structuredClone(BASE);
    get(doc, path)[key] = 1;
    const r = parseScenario(stringify(doc), 'x.yaml');
    if (r.ok) throw new Error(`the validator accepted an unknown key at ${path.join('.')}`);
    const i = r.issues.find((x) => x.message.includes(`'${key}'`));
    const m = /\((?:allowed|fields): ([^)]*)\)/.exec(i?.message ?? '');
    if (!m) throw new Error(`no list of allowed keys for ${path.join('.')}: ${r.issues.map((x) => x.message).join(' | ')}`);
    return m[1]!.split(', ').sort();
  }

  const schema = scenarioJsonSchema();

  it.each(POSITIONS.map((p) => [p.join('.') || '(top level)', p] as const))('allows the same keys at %s', (_, path) => {
    expect(Object.keys(jsonAt(schema, path).properties as object).sort()).toEqual(validatorKeys(path));
  });

  it('allows the same fields in event patterns, kind by kind', () => {
    const pattern = jsonAt(schema, ['expect', 2, 'timeline', 'contains']);
    const withoutKind = structuredClone(BASE);
    (get(withoutKind, ['expect', 2, 'timeline']) as Record<string, unknown>).contains = { client: 'c1' };
    const keysWithoutKind = (() => {
      const doc = structuredClone(withoutKind);
      (get(doc, ['expect', 2, 'timeline', 'contains']) as Record<string, unknown>)['zz-unknown'] = 1;
      const r = parseScenario(stringify(doc), 'x.yaml');
      if (r.ok) throw new Error('accepted');
      return /\(fields: ([^)]*)\)/.exec(r.issues[0]!.message)![1]!.split(', ').sort();
    })();
    expect(Object.keys(pattern.properties as object).sort()).toEqual(keysWithoutKind);
    const perKind = pattern.allOf as Array<{ if: { properties: { kind: { const: string } } }; then: { propertyNames: { enum: string[] } } }>;
    const kinds = (pattern.properties as Record<string, { anyOf: Array<{ enum?: string[] }> }>).kind!.anyOf[0]!.enum!;
    expect(perKind.map((p) => p.if.properties.kind.const)).toEqual(kinds);
    for (const p of perKind) {
      const doc = structuredClone(BASE);
      (get(doc, ['expect', 2, 'timeline']) as Record<string, unknown>).contains = { kind: p.if.properties.kind.const, 'zz-unknown': 1 };
      const r = parseScenario(stringify(doc), 'x.yaml');
      if (r.ok) throw new Error('accepted');
      const fields = /\(fields: ([^)]*)\)/.exec(r.issues.find((i) => i.message.includes('zz-unknown'))!.message)![1]!.split(', ').sort();
      expect([...p.then.propertyNames.enum].sort(), p.if.properties.kind.const).toEqual(fields);
    }
  });

  it('refuses to describe a custom check that has no JSON Schema registered', () => {
    expect(() => jsonSchemaOf(z.unknown().transform((v) => v))).toThrow(/register one with described\(\)/);
    expect(jsonSchemaOf(z.number().int().min(1))).toEqual({ type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
  });
});

describe('redsim schema', () => {
  it('prints the shipped schema, and --check says whether a file is up to date', async () => {
    const [print, check] = await Promise.all([redsim(['schema']), redsim(['schema', '--out', 'schema/scenario.schema.json', '--check'])]);
    expect(print.code).toBe(0);
    expect(print.out).toBe(readFileSync(SCHEMA_FILE, 'utf8'));
    expect(check.code).toBe(0);
    const stale = await redsim(['schema', '--out', 'package.json', '--check']);
    expect(stale.code).toBe(1);
    expect(stale.err).toContain('run npm run schema');
  });
});
