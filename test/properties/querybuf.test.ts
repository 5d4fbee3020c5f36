// Query-buffer limit: a client is closed for its query buffer exactly at the read that leaves more
// than client-query-buffer-limit bytes in it (no command runs and nothing is read after that), and
// never when all its commands are well under the limit. A naive expectation — "closed exactly when
// a command is longer than the limit" — is refuted: a big argument becomes the query buffer by
// itself (Redis trims the command's header away), so a command a few bytes over the limit passes.
import { describe, it } from 'vitest';
import { querybufLimit, querybufLimitWith, renamed } from '../../src/scenario/properties.ts';
import { querybufScenario } from './generators.ts';
import { findsCounterexample, holds } from './helpers.ts';

describe('query-buffer limit', () => {
  it('closes exactly at the read that takes the query buffer over the limit, and never for small commands', () => {
    holds('querybuf limit', querybufScenario(), querybufLimit, 40);
  });

  it('the naive expectation "closed exactly when a command is longer than the limit" is refuted', () => {
    const naive = renamed(querybufLimitWith({ oracle: ({ limit, largestCommand }) => largestCommand > limit }), 'querybuf-limit-naive-command-size');
    findsCounterexample('querybuf limit, naive command-size oracle', querybufScenario(), naive, 60);
  });
});
