// Output-buffer limits, observed through the server's own accounting (omem) at every event:
//  - hard: a client at or over its hard limit is closed at the first check after crossing it.
//    Shown to bite: a wrong expectation ("closed only when strictly over") is refuted by a client
//    whose omem lands exactly on the limit.
//  - soft: a client continuously over its soft limit is not closed before soft-seconds and is
//    closed within soft-seconds + 1 s + one cron tick. Holds with obuf-soft-timer fixed; with the
//    timer of 7.0.15 (the default, as released) fast-check finds a client closed at once because
//    its soft-limit timer was left over from an earlier, drained episode.
//  - `normal 0 0 0` never closes a normal client for output — except that profile debian (the
//    CVE-2025-21605 backport) closes unauthenticated clients whose output spills out of the static
//    buffer: fast-check finds one when requirepass is set.
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { obufHardLimit, obufHardLimitWith, obufNormalUnlimited, obufSoftLimit, renamed } from '../../src/scenario/properties.ts';
import { hardScenario, softScenario, normalScenario } from './generators.ts';
import { findsCounterexample, holds } from './helpers.ts';

describe('output-buffer hard limit', () => {
  it('a client at or over its hard limit is closed at the first check after crossing it', () => {
    holds('obuf hard limit', hardScenario(), obufHardLimit, 40);
  });

  it('a wrong expectation (closed only when strictly over the limit) is refuted: omem lands exactly on it', () => {
    findsCounterexample('obuf hard limit, wrong bound >', hardScenario(), renamed(obufHardLimitWith({ closesWhen: (omem, hard) => omem > hard }), 'obuf-hard-limit-strictly-over'), 60);
  });
});

describe('output-buffer soft limit (obuf-soft-timer fixed vs 7.0.15)', () => {
  it('fixed: over the soft limit for soft-seconds before the close, and closed within soft-seconds + 1 s + a tick', () => {
    holds('obuf soft limit fixed', softScenario('fixed'), obufSoftLimit, 40);
  });

  it('7.0.15: fast-check finds a client closed at once by a soft-limit timer left from an earlier episode', () => {
    findsCounterexample('obuf soft limit 7.0.15 stale timer', softScenario('7.0.15'), obufSoftLimit, 80);
  });
});

describe('normal 0 0 0 (profile upstream vs debian)', () => {
  it('never closes a normal client for output (upstream with a password, or any profile without one)', () => {
    const p = fc.oneof(fc.constant({ profile: 'upstream', requirepass: 'secret' }), fc.constantFrom('debian', 'upstream').map((profile) => ({ profile })));
    holds('obuf normal 0 0 0', normalScenario(p), obufNormalUnlimited, 30);
  });

  it('profile debian with a password: fast-check finds an unauthenticated client closed for its output', () => {
    findsCounterexample('obuf normal 0 0 0, debian unauthenticated', normalScenario(fc.constant({ profile: 'debian', requirepass: 'secret' })), obufNormalUnlimited, 30);
  });
});
