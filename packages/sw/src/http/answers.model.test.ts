/**
 * A property test of how the transport reads real servers' answers, over a
 * real Outbox, SyncWorker and HttpTransport on a MemoryStore and a virtual
 * clock: random enqueues over three lanes (plain ops, ops the app refuses
 * with 409, ops the server is stuck on with 409 "in progress", ops that hang
 * it), a server that switches between answering, gateway 502/503/504, no
 * answer, a redirect to a login page, 401 and 403, and releases (new
 * credentials, a retry, syncNow). After every step:
 *
 * - only the app's answers spend attempts: nothing fails while the origin
 *   gave only gateway answers or none;
 * - a run of 409 "in progress" is bounded: past two minutes each one spends;
 * - a session refusal fails at most one op until a release;
 * - every lane's delivered ops came in enqueue order.
 *
 * At the end a healthy server and time settle every op: plain ones are done
 * (or failed by a lone 403, the op's own refusal), the others dead letters.
 * `FERRY_PROPERTY_RUNS` sets the number of runs, `FERRY_PROPERTY_SEED` replays one.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Reply, Req } from './testSupport.ts';
import { inOrder, world } from './testSupport.ts';

type Env = Record<string, string | undefined>;
const env: Env = (globalThis as { process?: { env: Env } }).process?.env ?? {};
const RUNS = Number(env['FERRY_PROPERTY_RUNS'] ?? 40);
const SEED = env['FERRY_PROPERTY_SEED'] === undefined ? undefined : Number(env['FERRY_PROPERTY_SEED']);
const MAX_ATTEMPTS = 4;
const IN_PROGRESS_MS = 120_000;
const LANES = ['a', 'b', 'c'];

type Regime = 'ok' | '502' | '503' | '504' | 'down' | 'redirect' | '401' | '403';
type Mark = 'plain' | 'conflict' | 'busy' | 'busyTyped' | 'poison';
type Enqueue = { t: 'enqueue'; lane: number; mark: Mark };
type Step = Enqueue | { t: 'regime'; r: Regime } | { t: 'run'; ms: number } | { t: 'release' };

const enqueue: fc.Arbitrary<Step> = fc.record({
  t: fc.constant('enqueue' as const),
  lane: fc.nat(LANES.length - 1),
  mark: fc.constantFrom<Mark>('plain', 'plain', 'plain', 'plain', 'conflict', 'busy', 'busyTyped', 'poison'),
});

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: enqueue },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('regime' as const),
      r: fc.constantFrom<Regime>('ok', 'ok', '502', '503', '504', 'down', 'redirect', '401', '403'),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ t: fc.constant('run' as const), ms: fc.constantFrom(1_000, 30_000, 300_000, 1_800_000) }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('release' as const) }) },
);

const HTML = { 'Content-Type': 'text/html' };
const PROBLEM = { 'Content-Type': 'application/problem+json' };
const json = (status: number, body: unknown, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });

/** The server: the regime decides for every request; under `ok`, each op's mark does. */
function answer(regime: Regime, req: Req): Reply {
  switch (regime) {
    case 'down':
      return new TypeError('Failed to fetch');
    case '502':
    case '503':
    case '504':
      return new Response('<html>upstream down</html>', { status: Number(regime), headers: HTML });
    case 'redirect':
      return new Response(null, { status: 302, headers: { Location: '/login' } });
    case '401':
      return new Response(null, { status: 401 });
    case '403':
      return new Response('session expired', { status: 403 });
    case 'ok':
      break;
  }
  switch (req.payload?.mark) {
    case 'conflict':
      return json(409, { error: 'version conflict', current: 3 });
    case 'busy':
      return new Response(null, { status: 409, headers: { 'Retry-After': '1' } });
    case 'busyTyped':
      return json(409, { type: 'about:blank', code: 'idempotency-key-in-use' }, PROBLEM);
    case 'poison':
      return 'hang';
    default:
      return json(201, {});
  }
}

async function model(steps: readonly Step[]): Promise<void> {
  let regime: Regime = 'ok';
  const w = world((req) => answer(regime, req), { retry: { maxAttempts: MAX_ATTEMPTS } });
  /** Ops failed by a session answer (a 403) in the current epoch; an epoch ends at a release. */
  let sessionFailures = new Set<string>();
  const seenFailed = new Set<string>();
  /** Ops brought back after a release: their place in the lane is the Outbox's retry's to keep. */
  const broughtBack = new Set<string>();
  const marks = new Map<string, Mark>();
  const key = (p: { lane: string; n: number }): string => `${p.lane}:${p.n}`;

  const check = async (): Promise<void> => {
    const now = w.clock.now();
    for (const op of await w.list()) {
      const since = w.appAnswers.filter((at) => at >= op.createdAt).length;
      // Only the app's answers spend attempts: each attempt needs one, after the op was queued.
      const why = `${op.id} spent ${op.attempt} attempts on ${since} app answers: ${op.lastError?.message}`;
      expect(op.attempt, why).toBeLessThanOrEqual(since);
      const e = op.lastError;
      const longRun = e?.status === 409 && e.retryable && e.since !== undefined && e.at - e.since >= IN_PROGRESS_MS;
      if (op.status === 'pending' && longRun && e.since !== undefined) {
        expect(op.attempt, `${op.id}: a 409 after ${e.at - e.since} ms of them spent nothing`).toBeGreaterThan(0);
      }
      expect(e?.since === undefined || e.since <= now).toBe(true);
      if (op.status === 'failed' && !seenFailed.has(op.id)) {
        seenFailed.add(op.id);
        if (e?.status === 403) sessionFailures.add(op.id);
      }
    }
    expect(sessionFailures.size, 'a session refusal failed more than one op').toBeLessThanOrEqual(1);
    expect(inOrder(w.applied.filter((p) => !broughtBack.has(key(p))))).toBe(true);
  };

  const release = async (): Promise<void> => {
    const failed = new Set((await w.list()).filter((o) => o.status === 'failed').map((o) => o.id));
    await w.releaseSessions();
    for (const op of await w.list()) {
      if (failed.has(op.id) && op.status !== 'failed') {
        broughtBack.add(key(op.payload as { lane: string; n: number }));
        seenFailed.delete(op.id);
      }
    }
    sessionFailures = new Set();
  };

  for (const s of steps) {
    switch (s.t) {
      case 'enqueue': {
        const [op] = await w.enqueue(LANES[s.lane] as string, 1, undefined, s.mark);
        if (op) marks.set(op.id, s.mark);
        break;
      }
      case 'regime':
        regime = s.r;
        break;
      case 'run':
        await w.run(s.ms, 5000);
        break;
      case 'release':
        await release();
        break;
    }
    await check();
  }

  regime = 'ok';
  await release();
  await w.run(60 * 60_000, 5000);
  await check();
  for (const op of await w.list()) {
    const mark = marks.get(op.id) ?? 'plain';
    if (mark === 'plain') {
      // Done, or failed by a 403 that was the op's own (no second one showed it was the session's).
      if (op.status !== 'done') expect(op, op.id).toMatchObject({ status: 'failed', lastError: { status: 403 } });
    } else expect(op.status, `${op.id} (${mark}) was not settled: ${op.lastError?.message}`).toBe('failed');
    if (mark === 'conflict' && op.lastError?.status === 409) {
      expect(op.answer).toEqual({ status: 409, body: { error: 'version conflict', current: 3 } });
    }
    // A busy op ends when its 409s have run past the bound and spent every attempt, unless a 403 of its own
    // (op-level: no second one showed it was the session's) failed it first.
    const ownRefusal = op.lastError?.status === 403;
    if ((mark === 'busy' || mark === 'busyTyped') && !ownRefusal)
      expect(op.attempt, op.lastError?.message).toBe(MAX_ATTEMPTS);
  }
}

const queue = fc.array(enqueue, { minLength: 2, maxLength: 9 });
const steps = fc.array(step, { minLength: 1, maxLength: 20 });

describe('reading real answers (model)', () => {
  it('keeps its invariants over random answers, regimes and releases', { timeout: 120_000 }, async () => {
    await fc.assert(
      // A queue first (as after a while offline), then whatever comes.
      fc.asyncProperty(queue, steps, (queued, more) => model([...queued, ...more])),
      { numRuns: RUNS, ...(SEED !== undefined && { seed: SEED }) },
    );
  });
});
