/**
 * A small world for the transport's tests: a real Outbox, SyncWorker and
 * HttpTransport over a MemoryStore, on a VirtualClock, in front of a fake
 * server (a function of each request). Ops carry `{ lane, n }` so that the
 * server can tell the order it applied them in. Not shipped.
 */
import type { Operation, RetryPolicyOptions } from '@ferry/core';
import { MemoryStore, Outbox, SyncWorker } from '@ferry/core';
import { VirtualClock } from '@ferry/core/testing';
import { HttpTransport } from './HttpTransport.ts';
import type { FetchLike, HttpTransportOptions } from './options.ts';
import { NEEDS_AUTH } from './sessions.ts';

export const ORIGIN = 'https://app.example';

/** A request as the fake server sees it. */
export interface Req {
  url: string;
  method: string;
  headers: Headers;
  /** The op's payload (single sends), or undefined (HEAD). */
  payload: { lane: string; n: number; mark?: string } | undefined;
  key: string | null;
}

/** What the server does: answer, fail the fetch, or never answer (until the request is aborted). */
export type Reply = Response | Error | 'hang';

export interface WorldOptions {
  transport?: HttpTransportOptions;
  retry?: Partial<RetryPolicyOptions>;
  concurrency?: number;
}

export type World = ReturnType<typeof world>;

export function world(server: (req: Req) => Reply, options: WorldOptions = {}) {
  const clock = new VirtualClock();
  const outbox = new Outbox({
    store: new MemoryStore(),
    clock,
    origin: ORIGIN,
    random: () => 0.5,
    ...(options.retry && { retry: options.retry }),
  });
  /** Every request, and the ops applied (answered 2xx), in the order the server saw them. */
  const requests: Req[] = [];
  const applied: NonNullable<Req['payload']>[] = [];
  /** When the app itself answered anything (not a gateway's status, not silence), in order. */
  const appAnswers: number[] = [];
  const fetch = (url: string, init: RequestInit): Promise<Response> => {
    const headers = new Headers(init.headers);
    const payload = typeof init.body === 'string' ? (JSON.parse(init.body) as Req['payload']) : undefined;
    const req: Req = { url, method: init.method ?? 'GET', headers, payload, key: headers.get('idempotency-key') };
    requests.push(req);
    const reply = server(req);
    const app = reply !== 'hang' && !(reply instanceof Error) && ![502, 503, 504].includes(reply.status);
    if (app) appAnswers.push(clock.now());
    if (reply === 'hang') {
      const aborted = (): DOMException => new DOMException('aborted', 'AbortError');
      return new Promise((_, reject) => init.signal?.addEventListener('abort', () => reject(aborted())));
    }
    if (reply instanceof Error) return Promise.reject(reply);
    if (payload && reply.status >= 200 && reply.status < 300) applied.push(payload);
    return Promise.resolve(reply);
  };
  const transport = new HttpTransport({ fetch, origin: () => ORIGIN, clock, timers: clock, ...options.transport });
  const concurrency = options.concurrency ?? 6;
  const worker = new SyncWorker({ outbox, transport, clock, timers: clock, onError: () => {}, concurrency });
  const counts = new Map<string, number>();

  /** A macrotask turn: every promise chain the MemoryStore and the worker started settles. */
  const flush = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

  return {
    clock,
    outbox,
    transport,
    requests,
    applied,
    appAnswers,

    /** Queues `count` ops in `lane` (for `user`), numbered in their lane; `mark` tells the server how to treat them. */
    async enqueue(lane: string, count: number, user?: string, mark?: string): Promise<Operation[]> {
      const ops: Operation[] = [];
      for (let i = 0; i < count; i++) {
        const n = counts.get(lane) ?? 0;
        counts.set(lane, n + 1);
        ops.push(
          await outbox.enqueue({
            kind: 'k',
            target: '/api/x',
            lane,
            payload: { lane, n, ...(mark !== undefined && { mark }) },
            ...(user !== undefined && { user }),
          }),
        );
      }
      return ops;
    },

    /**
     * Runs the worker for `ms` of virtual time: drains, then jumps to the
     * next due time; while a drain waits on a send, time moves `step` ms at
     * a time (a hang ends with its timeout).
     */
    async run(ms: number, step = 1000): Promise<void> {
      const end = clock.now() + ms;
      while (clock.now() < end) {
        let settled = false;
        const drained = worker.drain().finally(() => (settled = true));
        await flush();
        while (!settled) {
          clock.advance(step);
          await flush();
        }
        await drained;
        const next = await outbox.delivery.nextWakeAt();
        clock.set(Math.min(end, Math.max(clock.now() + 1, next ?? end)));
      }
    },

    /** What the host does on new credentials, `retry` of a held op, or `syncNow` (buildEngine's releaseSessions). */
    async releaseSessions(match: (user: string | undefined) => boolean = () => true): Promise<void> {
      const failed = transport.releaseSessions(match);
      await outbox.delivery.release((op) => op.held?.startsWith(NEEDS_AUTH) === true && match(op.user));
      for (const id of failed) if ((await outbox.get(id))?.status === 'failed') await outbox.retry(id);
    },

    list: (): Promise<Operation[]> => outbox.list({ limit: 100_000 }),
  };
}

/** An opaque response (`mode: 'no-cors'` across origins): status 0, nothing readable. */
export function opaque(): Response {
  const res = new Response(null, { status: 200 });
  Object.defineProperty(res, 'type', { value: 'opaque' });
  Object.defineProperty(res, 'status', { value: 0 });
  return res;
}

/** A redirect seen with `redirect: 'manual'`: an opaque redirect, status 0. */
export function opaqueRedirect(): Response {
  const res = new Response(null, { status: 200 });
  Object.defineProperty(res, 'type', { value: 'opaqueredirect' });
  Object.defineProperty(res, 'status', { value: 0 });
  return res;
}

/** Whether each lane's applied ops came in enqueue order (`n` rising), and every op of `lanes` arrived once. */
export function inOrder(applied: readonly { lane: string; n: number }[]): boolean {
  const last = new Map<string, number>();
  for (const { lane, n } of applied) {
    if (n <= (last.get(lane) ?? -1)) return false;
    last.set(lane, n);
  }
  return true;
}

/** An op as a transport gets it (in flight), for sending straight through a transport. */
export function op(over: Partial<Operation> = {}): Operation {
  return {
    id: 'op1',
    kind: 'message.send',
    target: '/api/messages',
    method: 'POST',
    payload: { text: 'hello' },
    lane: 'default',
    idempotencyKey: 'key-1',
    status: 'inflight',
    seq: 1,
    attempt: 0,
    nextAttemptAt: 0,
    createdAt: 0,
    updatedAt: 0,
    ...over,
  };
}

export interface Call {
  url: string;
  init: RequestInit;
}

/** A fetch answering from a list of responses (or errors), recording each call. */
export function fakeFetch(...answers: (Response | Error | 'hang')[]): FetchLike & { calls: Call[] } {
  const calls: Call[] = [];
  const f = (url: string, init: RequestInit): Promise<Response> => {
    calls.push({ url, init });
    const a = answers.shift() ?? new Response(null, { status: 200 });
    if (a === 'hang') {
      return new Promise((_, reject) =>
        init.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))),
      );
    }
    return a instanceof Error ? Promise.reject(a) : Promise.resolve(a);
  };
  return Object.assign(f, { calls });
}

export const ctx = (): { signal: AbortSignal } => ({ signal: new AbortController().signal });
export const transport = (fetch: FetchLike, more: ConstructorParameters<typeof HttpTransport>[0] = {}): HttpTransport =>
  new HttpTransport({ fetch, origin: () => ORIGIN, reachability: false, ...more });
