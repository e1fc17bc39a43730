/**
 * The chaos suite's shared parts: the seed, a seeded random source per
 * scenario, the invariant check (`@ferry/testing`'s checker over the fault
 * proxy's wire log and the API's effects), and the results file.
 *
 * The seed comes from `FERRY_SEED` or is drawn once per test process; every
 * scenario derives its own stream from it and its name, so a scenario's
 * random choices do not depend on which scenarios ran before it. (The
 * browser's timing is not seeded: a seed fixes the faults chosen, not the
 * interleaving they meet.)
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';
import { expect } from '@playwright/test';
import type { Operation } from '../../packages/core/src/index.ts';
import { checkDelivery, seededRandom, suiteSeed } from '../../packages/testing/src/index.ts';
import type { SeededRandom } from '../../packages/testing/src/index.ts';
import { askWorker } from '../../packages/testing/src/playwright/index.ts';
import type { TestServer } from '../server/TestServer.ts';

export const SEED: number = suiteSeed(process.env.FERRY_SEED);

/** A seeded random source (mulberry32) with the helpers scenarios use. */
export type Rng = SeededRandom;

/** The random stream of one scenario: the suite seed mixed with the scenario's name. */
export const rngFor = (scenario: string): Rng => seededRandom(SEED, scenario);

/** What every scenario reports. */
export interface Counts {
  /** Ops whose enqueue resolved. */
  ops: number;
  wireRequests: number;
  /** Requests beyond the first for the same Idempotency-Key. */
  duplicatesOnWire: number;
  /** Effects the server applied more than once for the same op (told apart by the payload's `tag`, not the key). */
  duplicatesApplied: number;
  /** Acknowledged ops neither applied nor failed with the reason the server gave. */
  lost: number;
  /** Pairs of ops in a lane the server first saw out of enqueue (seq) order. */
  orderViolations: number;
  /** Requests sent before the Retry-After of the previous answer for the same key was due. */
  earlyRetries: number;
  /** Acknowledged ops failed on purpose (a server rejection the scenario planned). */
  failed: number;
}

/** An op as the scenarios enqueue it: `tag` names it uniquely on the server. */
export interface Tagged {
  tag: string;
  lane: string;
  [key: string]: unknown;
}

const tagOf = (body: unknown): string | undefined => (body as { tag?: unknown } | undefined)?.tag as string | undefined;

/**
 * Checks the delivery invariants (`@ferry/testing`'s {@link checkDelivery}) on what the server recorded. An op is
 * named by its payload's `tag`, so an effect under a second key of the same op counts as applied twice.
 * @param acked ids whose enqueue resolved
 * @param stored every op the outbox holds at the end (ids, keys, lanes, seqs, final state)
 * @param mayFail ids the scenario expects the server to reject; each must be `failed` with the server's status
 */
export function check(
  server: Pick<TestServer, 'received' | 'applied'>,
  acked: readonly string[],
  stored: readonly Operation[],
  mayFail: ReadonlySet<string> = new Set(),
  stops: readonly (readonly [number, number])[] = [],
  orderBy: 'sent' | 'applied' = 'sent',
  clientTimeoutMs?: number,
): { counts: Counts; problems: string[] } {
  const { counts, problems } = checkDelivery({
    wire: server.received,
    effects: server.applied.map((a) => ({ key: a.key, op: tagOf(a.body) ?? `key:${a.key}` })),
    ops: stored,
    opName: (op) => tagOf(op.payload) ?? `key:${op.idempotencyKey}`,
    acked,
    refused: mayFail,
    workerStops: stops,
    order: orderBy,
    ...(clientTimeoutMs !== undefined && { clientTimeoutMs }),
  });
  return {
    counts: {
      ops: counts.acked,
      wireRequests: counts.wireRequests,
      duplicatesOnWire: counts.duplicatesOnWire,
      duplicatesApplied: counts.appliedTwice,
      lost: counts.lost,
      orderViolations: counts.orderViolations,
      earlyRetries: counts.earlyRetries,
      failed: counts.refused,
    },
    problems,
  };
}

const RESULTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'results', 'chaos.json');

/** Merges one scenario's figures into `e2e/results/chaos.json`. */
/** The results file's writes, one after another: scenarios that run at once each add theirs. */
let writing: Promise<void> = Promise.resolve();

export function record(scenario: string, counts: Counts, extra: Record<string, unknown> = {}): Promise<void> {
  const next = writing.then(() => write(scenario, counts, extra));
  writing = next.catch(() => {});
  return next;
}

async function write(scenario: string, counts: Counts, extra: Record<string, unknown>): Promise<void> {
  let all: { scenarios?: Record<string, unknown> } = {};
  try {
    all = JSON.parse(await readFile(RESULTS, 'utf8')) as typeof all;
  } catch {
    // First run, or a file broken by an interrupted run: start over.
  }
  const scenarios = {
    ...(all.scenarios ?? {}),
    [scenario]: { ...counts, ...extra, seed: SEED, at: new Date().toISOString() },
  };
  await mkdir(dirname(RESULTS), { recursive: true });
  const tmp = `${RESULTS}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify({ scenarios }, null, 2)}\n`);
  await rename(tmp, RESULTS);
}

/** Checks, records and asserts: the suite fails on any loss, double effect, order violation or early retry. */
export async function verdict(
  scenario: string,
  server: TestServer,
  acked: readonly string[],
  stored: readonly Operation[],
  options: {
    mayFail?: ReadonlySet<string>;
    extra?: Record<string, unknown>;
    noWireDuplicates?: boolean;
    /** Wall-clock ms of each worker stop, from the command to its return (see {@link check}'s Retry-After rule). */
    stops?: readonly (readonly [number, number])[];
    /** Which order a lane must keep: the first send of each op (the default) or its effect (see {@link check}). */
    orderBy?: 'sent' | 'applied';
    /** The app's `sendTimeout` flag: an answer written after it had passed was not heard (see {@link check}). */
    clientTimeoutMs?: number;
  } = {},
): Promise<Counts> {
  const { counts, problems } = check(
    server,
    acked,
    stored,
    options.mayFail,
    options.stops,
    options.orderBy,
    options.clientTimeoutMs,
  );
  await record(scenario, counts, options.extra);
  const bad =
    counts.lost +
    counts.duplicatesApplied +
    counts.orderViolations +
    counts.earlyRetries +
    (options.noWireDuplicates ? counts.duplicatesOnWire : 0);
  expect(
    bad,
    `${scenario} broke an invariant (FERRY_SEED=${SEED}): ${JSON.stringify(counts)}\n${problems.slice(0, 20).join('\n')}`,
  ).toBe(0);
  return counts;
}

/** Every op the page's outbox holds. */
export const storedOps = (page: Page): Promise<Operation[]> =>
  page.evaluate(() => window.ferry.list({ limit: 10_000 }));

/** When the host found Ferry's database dropped by the browser (`ping`'s `storageLost`). */
export async function storageLost(page: Page): Promise<number[]> {
  const reply = await askWorker(page, { type: 'ping' });
  if (reply?.ok !== true) throw new Error(`ping failed: ${JSON.stringify(reply)}`);
  return (reply.result as { storageLost: number[] }).storageLost;
}

/** Fails with the seed in the message. */
export const seeded = (what: string): string => `${what} (FERRY_SEED=${SEED})`;

/** Waits until every acknowledged op is done or failed, polling with short requests that restart a stopped worker. */
export async function settled(page: Page, ids: readonly string[], timeoutMs: number, what: string): Promise<void> {
  let last: Operation[] | undefined;
  const waiting = async (): Promise<number> => {
    const ops = await storedOps(page).catch(() => undefined);
    if (!ops) return -1;
    last = ops;
    const terminal = new Set(ops.filter((o) => o.status === 'done' || o.status === 'failed').map((o) => o.id));
    return ids.filter((id) => !terminal.has(id)).length;
  };
  try {
    await expect.poll(waiting, { timeout: timeoutMs, intervals: [250, 500, 1000] }).toBe(0);
  } catch (e) {
    throw new Error(
      seeded(
        `${what}: acknowledged ops still not done or failed after ${timeoutMs} ms; ${backlog(ids, last, Date.now())}`,
      ),
      { cause: e },
    );
  }
}

/** What the waiting ops look like: how many per status, and the lease and retry times of the oldest of each lane. */
function backlog(ids: readonly string[], stored: readonly Operation[] | undefined, now: number): string {
  if (!stored) return 'the outbox could not be listed';
  const byId = new Map(stored.map((o) => [o.id, o]));
  const statuses = new Map<string, number>();
  const heads = new Map<string, Operation>();
  for (const id of ids) {
    const op = byId.get(id);
    const status = op?.status ?? 'missing';
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
    if (op && op.status !== 'done' && op.status !== 'failed' && !heads.has(op.lane)) heads.set(op.lane, op);
  }
  const lanes = [...heads.values()].map((o) => {
    const rel = (t: number | undefined): string => (t === undefined ? '-' : `${t - now} ms`);
    return `${o.lane}: ${o.status} attempt=${o.attempt} seq=${o.seq} nextAt=${rel(o.nextAttemptAt)} lease=${rel(o.leaseUntil)}`;
  });
  return `by status ${JSON.stringify(Object.fromEntries(statuses))}; first waiting op per lane: ${lanes.join('; ') || 'none'}`;
}

/** `n` tagged ops over `lanes` lanes (`<prefix>-lane-<i>`), to `/api/<prefix>`, of kind `chaos.<kind>`. */
export const laneOps = (kind: string, prefix: string, n: number, lanes: number) =>
  Array.from({ length: n }, (_, i) => {
    const lane = `${prefix}-lane-${i % lanes}`;
    return { kind: `chaos.${kind}`, target: `/api/${prefix}`, lane, payload: { tag: `${prefix}-${i}`, lane, n: i } };
  });

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
