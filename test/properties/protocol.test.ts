// Protocol: however the network slices a client's byte stream (slice faults with random or cycled
// sizes, to the server and to the client), the server executes the same commands and the client
// receives the same replies as with unsliced delivery. Shown to bite: a naive server model that
// parses each read on its own (forgetting a partial command at the end of a read) is refuted.
import { describe, it } from 'vitest';
import { ByteQueue, type Segment } from '../../src/base/bytes.ts';
import { RequestParser } from '../../src/protocol/request-parser.ts';
import { encodeCommand } from '../../src/scenario/script.ts';
import { fragmentation, renamed, type ScenarioProperty } from '../../src/scenario/properties.ts';
import { runScenario } from '../../src/scenario/run.ts';
import type { Step } from '../../src/scenario/types.ts';
import { slicedScenario } from './generators.ts';
import { findsCounterexample, holds } from './helpers.ts';

/** The bytes a script sends, in order. */
function streamOf(script: readonly Step[]): Segment[] {
  const out: Segment[] = [];
  for (const s of script) {
    if (s.op === 'call' || s.op === 'send') encodeCommand(s.args, out);
    else if (s.op === 'pipeline') for (let i = 0; i < s.repeat; i++) for (const c of s.commands) encodeCommand(c, out);
    else if (s.op === 'inline') out.push(Buffer.from(`${s.text}\r\n`));
    else if (s.op === 'raw') out.push(...s.bytes);
  }
  return out;
}

/** The broken server model: every read parsed on its own; a command split across reads is lost. */
const naivePerReadParsing: ScenarioProperty = renamed(
  {
    name: 'x',
    summary: '',
    check(sc) {
      const r = runScenario(sc);
      for (const c of sc.clients) {
        const stream = new ByteQueue();
        stream.pushAll(streamOf(c.script));
        let naive = 0;
        for (const e of r.events) {
          if (e.kind !== 'read' || e.client !== c.name) continue;
          const chunk = new ByteQueue();
          chunk.pushAll(stream.take(e.bytes));
          const p = new RequestParser();
          for (let res = p.parse(chunk, { protoMaxBulkLen: 512 << 20, authenticated: true }); res.kind === 'command' || res.kind === 'empty'; res = p.parse(chunk, { protoMaxBulkLen: 512 << 20, authenticated: true })) {
            if (res.kind === 'command') naive++;
          }
        }
        const real = r.events.filter((e) => e.kind === 'command' && e.client === c.name).length;
        if (naive !== real) {
          return { message: `client ${c.name}: the server ran ${real} commands, a server parsing each read on its own would run ${naive}`, client: c.name, expect: [], note: 'see the read events of this client: npx redsim run FILE -t' };
        }
      }
      return null;
    },
  },
  'naive-per-read-parsing',
  'a server that parses each read on its own runs the same commands (wrong: slices split commands)',
);

describe('protocol: fragmentation', () => {
  it('any slicing of the byte streams gives the same commands and the same replies', () => {
    holds('fragmentation', slicedScenario(), fragmentation, 30);
  });

  it('a server model parsing each read on its own is refuted by a sliced stream', () => {
    findsCounterexample('naive per-read parsing', slicedScenario(), naivePerReadParsing, 30);
  });
});
