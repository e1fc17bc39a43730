import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Idempotency, MemoryStore, createBatchHandler } from '../../packages/server/src/index.ts';
import type { AppHandler } from '../../packages/server/src/index.ts';
import { writeResponse } from '../../packages/server/src/node.ts';
import { PgliteStore } from '../../packages/server/src/PgliteStore.ts';
import { Sessions } from './Sessions.ts';

/** One request the API received, as sent. */
export interface Received {
  method: string;
  path: string;
  key: string | null;
  body: unknown;
  /** Wall-clock ms when the request arrived. */
  at: number;
  /** What the server did: the status it answered, or `hang` / `drop`. Unset until it acts. */
  outcome?: number | 'hang' | 'drop';
  /**
   * Wall-clock ms when the answer was written, to a connection still open (a
   * status only). Unset when the client had gone (timed out, its worker
   * stopped) before the answer was ready: it never heard it, so it cannot
   * honour its `Retry-After`.
   */
  answeredAt?: number;
  /** The `Retry-After` it answered with, in ms (delay-seconds only). */
  retryAfterMs?: number;
  /** Set when the op came as an item of a `/api/batch` request. */
  batched?: true;
  /** The request's headers, names lower-cased (a single request only). */
  headers?: Record<string, string>;
}

/** An effect the API applied: once per Idempotency-Key. */
export interface Applied {
  key: string | null;
  path: string;
  body: unknown;
  at: number;
  /** Whom the request's credentials verified (see {@link Sessions}); null for nobody. */
  user: string | null;
}

/**
 * How to answer one API request: a status (nothing applied), `hang` (no
 * answer, nothing applied), `apply-and-hang` (the effect is applied but the
 * answer never comes: what a client killed mid-send sees), `drop` (the
 * connection is destroyed, nothing applied), `apply-and-drop` (applied, then
 * the connection is destroyed), `{ delayMs }` (applied and answered that
 * long after the request arrived, the key held meanwhile), or `undefined` for the default behaviour: the
 * idempotency layer applies it once per key and answers 201; a repeat gets
 * the stored answer (`Idempotent-Replayed: true`), and a repeat while the
 * first request with its key still runs gets 409 with `Retry-After: 1`.
 */
export type Answer =
  | { status: number; headers?: Record<string, string>; body?: unknown }
  | 'hang'
  | 'apply-and-hang'
  | 'drop'
  | 'apply-and-drop'
  | { delayMs: number }
  | undefined;

/** Decides the answer to a request; `nth` counts requests with the same key, from 1. */
export type Script = (req: Received, nth: number) => Answer;

const PAGE = `<!doctype html><meta charset="utf-8"><title>ferry e2e</title><script type="module" src="/page.js"></script>`;

/**
 * A loopback server for the end-to-end tests: serves the test page and the
 * service worker bundle, and an API under `/api/` built on @ferry/server:
 * the idempotency layer deduplicates by key, so each effect applies once, a repeat is answered with the stored
 * answer (`Idempotent-Replayed: true`) and a repeat that arrives while the
 * first request with its key still runs gets `409` with `Retry-After`, as a
 * real app's server would answer. In front of the layer each request is
 * recorded (Idempotency-Key and body) and can be scripted per test to answer
 * 503, 429 + Retry-After, 400, or not at all, as a failing network or
 * server would. `POST /api/batch` is @ferry/server's batch endpoint: each
 * item is recorded, scripted and passed through the layer as if it came
 * alone, in order, and the first item that fails ends the batch (a hang or a
 * drop takes the whole request).
 *
 * The keys live in @ferry/server's MemoryStore (the store conformance suite
 * holds it to the SQL stores' rules). `FERRY_E2E_STORE=pglite` puts them in
 * the embedded PGlite instead. On PGlite, at a load average of 9 to 12, the
 * chaos scenarios with 800 ms send timeouts (hostile-server, both modes;
 * worker-killed-mid-drain-batched) saw resends before a Retry-After, and
 * slow-server saw answers of 14 s arrive after Ferry's 15 s timeout. PGlite
 * runs each statement on this process's main thread (about 1 ms each, five
 * per request), so the likely cause is answers held up behind other
 * requests' statements until the client had given up. The same scenarios
 * passed on MemoryStore.
 */
export class TestServer {
  readonly received: Received[] = [];
  readonly applied: Applied[] = [];
  readonly sessions = new Sessions();
  script: Script = () => undefined;
  /**
   * The whole origin is unreachable while set: every connection is destroyed
   * (the page, `HEAD /`, the API), as when the host is down. API requests are
   * still counted in {@link downRequests}.
   */
  down = false;
  downRequests = 0;
  /** Counts resets: an effect of a request from before the last reset (a slow one still running) is not recorded. */
  #generation = 0;
  readonly #count = new Map<string, number>();
  readonly #hanging = new Set<ServerResponse>();
  readonly #server = createServer((req, res) => void this.#handle(req, res));
  /** A fresh key table for every reset, on the one embedded database this process shares. */
  #layer: Idempotency;
  #url = '';

  readonly staticDir: string;

  private constructor(staticDir: string) {
    this.staticDir = staticDir;
    this.#layer = freshLayer(this.sessions);
  }

  static async start(staticDir: string): Promise<TestServer> {
    const s = new TestServer(staticDir);
    if (ON_PGLITE) await embedded().ready();
    await new Promise<void>((resolve) => s.#server.listen(0, '127.0.0.1', resolve));
    s.#url = `http://127.0.0.1:${(s.#server.address() as AddressInfo).port}`;
    return s;
  }

  /** e.g. `http://127.0.0.1:41234` */
  get url(): string {
    return this.#url;
  }

  /** Requests received with this key. */
  sent(key: string): Received[] {
    return this.received.filter((r) => r.key === key);
  }

  /** Forgets everything (the keys too: a new table) and drops requests left hanging: a fresh API for the next test. */
  reset(): void {
    this.received.length = 0;
    this.applied.length = 0;
    this.#generation++;
    this.#count.clear();
    this.sessions.tokens.clear();
    this.down = false;
    this.downRequests = 0;
    this.#layer = freshLayer(this.sessions);
    this.script = () => undefined;
    for (const res of this.#hanging) res.destroy();
    this.#hanging.clear();
  }

  /**
   * Stops listening and drops every connection, keeping what was recorded: to
   * the browser the server is gone (connection refused), as in an outage. The
   * engines whose driver cannot take the browser offline (WebKit's; Firefox's
   * emulation misses the service worker) use it as "offline".
   */
  async stop(): Promise<void> {
    if (!this.#server.listening) return;
    for (const res of this.#hanging) res.destroy();
    this.#hanging.clear();
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  /** Listens again on the same port, so the origin, and the worker and IndexedDB tied to it, stay the same. */
  async resume(): Promise<void> {
    if (this.#server.listening) return;
    const port = Number(new URL(this.#url).port);
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, '127.0.0.1', () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    this.reset();
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.#url);
    if (this.down) {
      if (url.pathname.startsWith('/api/')) this.downRequests++;
      return void req.socket.destroy();
    }
    if (req.method === 'GET' && url.pathname === '/') return send(res, 200, PAGE, 'text/html');
    // The page, the worker, and any other script built next to them (a classic bundle for importScripts).
    if (req.method === 'GET' && /^\/[\w.-]+\.js$/.test(url.pathname)) {
      const js = await readFile(join(this.staticDir, url.pathname.slice(1)), 'utf8').catch(() => undefined);
      if (js === undefined) return send(res, 404, 'not found', 'text/plain');
      return send(res, 200, js, 'text/javascript');
    }
    if (!url.pathname.startsWith('/api/')) return send(res, 404, 'not found', 'text/plain');

    const text = await readBody(req);
    if (this.sessions.handle(url.pathname, text, res, req)) return;
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers.set(name, value);
    const request = new Request(url, { method: req.method ?? 'GET', headers, ...(text !== '' && { body: text }) });
    const layer = this.#layer;
    if (url.pathname === '/api/batch') return this.#batch(layer, request, req, res);

    const key = req.headers['idempotency-key'];
    const rec: Received = {
      method: req.method ?? '',
      path: url.pathname,
      key: typeof key === 'string' ? key : null,
      body: text === '' ? undefined : JSON.parse(text),
      at: Date.now(),
      headers: Object.fromEntries(
        Object.entries(req.headers).filter((e): e is [string, string] => typeof e[1] === 'string'),
      ),
    };
    const outcome = await this.#run(layer, rec, request);
    if (outcome === 'hang') return void this.#hanging.add(res);
    if (outcome === 'drop') return void req.socket.destroy();
    if (!res.destroyed) rec.answeredAt = Date.now();
    await writeResponse(res, outcome);
  }

  /**
   * Records one request (alone, or an item of a batch), asks the script, and
   * answers: a scripted failure in front of the layer (nothing applied), or
   * the layer over the app's effect. Resolves the answer to send, or
   * `hang` / `drop` when none is to be sent.
   */
  async #run(layer: Idempotency, rec: Received, request: Request): Promise<Response | 'hang' | 'drop'> {
    this.received.push(rec);
    const nth = (this.#count.get(rec.key ?? '') ?? 0) + 1;
    this.#count.set(rec.key ?? '', nth);
    const answer = this.script(rec, nth);
    if (answer === 'hang' || answer === 'drop') {
      rec.outcome = answer;
      return answer;
    }
    if (typeof answer === 'object' && 'status' in answer) {
      const empty = answer.status === 204 || answer.status === 205 || answer.status === 304;
      const body = empty ? null : JSON.stringify(answer.body ?? {});
      const res = new Response(body, {
        status: answer.status,
        headers: { 'content-type': 'application/json', ...answer.headers },
      });
      return noted(rec, res);
    }
    const answerAt = rec.at + (typeof answer === 'object' ? answer.delayMs : 0);
    const generation = this.#generation;
    const app: AppHandler = async (inner) => {
      // Processing time from the request's arrival, inside the layer: the key is held, so a resend meanwhile is answered 409.
      const wait = answerAt - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const body = inner.body === null ? undefined : ((await inner.json()) as unknown);
      if (generation === this.#generation)
        this.applied.push({
          key: rec.key,
          path: rec.path,
          body,
          at: rec.at,
          user: this.sessions.userOf(inner.headers),
        });
      return Response.json({ replayed: false }, { status: 201 });
    };
    const res = await layer.handle(request, app);
    if (answer === 'apply-and-hang' || answer === 'apply-and-drop') {
      // The effect (and its stored answer) happened; the client never hears of it.
      await res.body?.cancel();
      rec.outcome = answer === 'apply-and-hang' ? 'hang' : 'drop';
      return rec.outcome;
    }
    return noted(rec, res);
  }

  /** @ferry/server's batch endpoint, each item through {@link #run}: recorded, scripted, then the layer. */
  async #batch(layer: Idempotency, request: Request, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const answered: Received[] = [];
    // A hang or a drop of one item takes the whole request: the batch is never answered.
    let cut!: (how: 'hang' | 'drop') => void;
    const cutOff = new Promise<'hang' | 'drop'>((resolve) => (cut = resolve));
    const batch = createBatchHandler({
      dispatch: async (itemReq, { op }) => {
        const rec: Received = {
          method: op.method,
          path: op.target,
          key: op.idempotencyKey,
          body: op.payload,
          at: Date.now(),
          batched: true,
        };
        const outcome = await this.#run(layer, rec, itemReq);
        if (outcome === 'hang' || outcome === 'drop') {
          for (const r of answered) r.outcome = outcome;
          cut(outcome);
          return new Promise<Response>(() => undefined);
        }
        answered.push(rec);
        return outcome;
      },
    });
    const done = await Promise.race([batch(request), cutOff]);
    if (done instanceof Response) {
      const now = Date.now();
      if (!res.destroyed) for (const r of answered) r.answeredAt = now;
      return writeResponse(res, done);
    }
    if (done === 'hang') return void this.#hanging.add(res);
    req.socket.destroy();
  }
}

/** Notes a status answer on the request's record (and a delay-seconds `Retry-After`), and passes it on. */
function noted(rec: Received, res: Response): Response {
  rec.outcome = res.status;
  const retryAfter = res.headers.get('retry-after');
  if (retryAfter !== null && /^\d+$/.test(retryAfter)) rec.retryAfterMs = Number(retryAfter) * 1000;
  return res;
}

const ON_PGLITE = process.env['FERRY_E2E_STORE'] === 'pglite';
let database: PgliteStore | undefined;
let tables = 0;

/** The embedded database this process shares (PGlite takes seconds to start; its tables are cheap). */
function embedded(): PgliteStore {
  database ??= new PgliteStore({ table: 'keys_0' });
  return database;
}

/** The idempotency layer over new, empty keys: what a freshly deployed API would have. */
function freshLayer(sessions: Sessions): Idempotency {
  const store = ON_PGLITE ? new PgliteStore({ db: embedded().db, table: `keys_${++tables}` }) : new MemoryStore();
  // Ferry always sends a key; a request without one is applied each time, as an unkeyed API would.
  // An op of another user than the session's is refused (403 user-mismatch), never applied.
  return new Idempotency({
    store,
    singleScope: 'e2e',
    requireKey: () => false,
    user: (req) => sessions.userOf(req.headers),
  });
}

function send(
  res: ServerResponse,
  status: number,
  body: string,
  type: string,
  headers: Record<string, string> = {},
): void {
  if (res.destroyed) return;
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store', ...headers });
  res.end(body);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
