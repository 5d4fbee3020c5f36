// Conservation: every byte the server wrote to a client is read by the client program, still in a
// buffer (the server socket's send queue, in flight, or the client's receive queue), or was
// discarded by a recorded close, reset or fault; and every accepted client ends with exactly one
// close event or is still connected at the end. Shown to bite: an accounting that forgets the
// client's receive buffer is refuted by a client that stopped reading.
import { describe, it } from 'vitest';
import { anyScenarioArb } from '../../src/scenario/arbitraries.ts';
import { conservation, conservationWith, renamed } from '../../src/scenario/properties.ts';
import { slowScenario } from './generators.ts';
import { findsCounterexample, holds } from './helpers.ts';

describe('conservation of bytes and of clients', () => {
  it('on anything: every byte written is read, buffered or discarded by a recorded close; every client closed once or open', () => {
    holds('conservation (any)', anyScenarioArb(), conservation, 40);
  });

  it('on slow readers under faults', () => {
    holds('conservation (slow readers, faults)', slowScenario(), conservation, 30);
  });

  it("an accounting that forgets the client's receive buffer is refuted by a client that stopped reading", () => {
    const forgetful = renamed(conservationWith({ countReceiveBuffers: false }), 'conservation-without-receive-buffers');
    findsCounterexample('conservation without receive buffers', slowScenario(), forgetful, 30);
  });
});
