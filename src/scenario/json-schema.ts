// The JSON Schema (draft-07) of scenario files, for editors (yaml-language-server, VS Code …):
// derived from the validator in schema.ts by walking the same tables, so a field added there
// appears here without further work. Custom combinators there register their JSON form
// (`described`); zod's own leaves (integers, enums, strings) go through z.toJSONSchema.
// The result is written to schema/scenario.schema.json by `npm run schema` (redsim schema).
// It checks the shape of a file; the loader stays the authority (client names, regex syntax,
// exact durations, redis.conf directives are only checked by `redsim validate`).
import { z } from 'zod';
import { jsonOf, scenarioSchema } from './schema.ts';
import type { JsonSchema } from './schema.ts';

export type { JsonSchema };

/** The JSON Schema of one validator schema (and of everything inside it). */
export function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  const own = jsonOf(schema);
  if (own) return own(jsonSchemaOf);
  const def = schema._zod.def;
  if (def.type === 'pipe') {
    const input = (def as unknown as { in: z.ZodType }).in;
    // A transform of z.unknown() is a custom check whose shape zod cannot see.
    if (input._zod.def.type === 'unknown') throw new Error('a custom schema without a JSON Schema: register one with described() in schema.ts');
    return jsonSchemaOf(input);
  }
  const j = z.toJSONSchema(schema, { target: 'draft-7', io: 'input', unrepresentable: 'throw' }) as JsonSchema;
  delete j.$schema;
  return j;
}

/** The whole file's JSON Schema, as shipped in schema/scenario.schema.json. */
export function scenarioJsonSchema(): JsonSchema {
  const { description: _what, ...body } = jsonSchemaOf(scenarioSchema);
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'redsim scenario',
    description:
      'A redsim scenario: a Redis 7.0 server, its clients, faults and expectations (docs/scenarios.md). Generated from src/scenario/schema.ts by `npm run schema`; `redsim validate` checks more than this schema can.',
    ...body,
  };
}

/** The text of schema/scenario.schema.json. */
export function scenarioJsonSchemaText(): string {
  return JSON.stringify(scenarioJsonSchema(), null, 2) + '\n';
}
