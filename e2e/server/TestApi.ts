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

/** An effect the API applied: once per Idempotency-Key. */
export interface Applied {
  key: string | null;
  path: string;
  body: unknown;
  /** Wall-clock ms when the effect was applied. */
  at: number;
  /** Whom the request's credentials verified (see {@link Sessions}); null for nobody. */
  user: string | null;
}

/**
 * An app's own API outside `/api/` (the vendored offline example's `/movies`), mounted on the test server: its
 * reads answered as it answers them, its writes through the idempotency layer like the API's, each applied (by
 * `handle`) and recorded once per key.
 */
export interface MountedApp {
  /** The paths it answers, e.g. `/movies`. */
  prefix: string;
  handle(request: Request): Promise<Response>;
}

const PAGE = `<!doctype html><meta charset="utf-8"><title>ferry e2e</title><script type="module" src="/page.js"></script>`;

/**
 * The end-to-end tests' app, without faults: it serves the test page and the
 * service worker bundle, and an API under `/api/` built on @ferry/server as a
 * real app's: the idempotency layer applies each key once, answers a repeat
 * with the stored answer (`Idempotent-Replayed: true`) and a repeat that
 * arrives while the first request with its key still runs with `409` and
 * `Retry-After`. `POST /api/batch` is @ferry/server's batch endpoint, each op
 * through the same layer. Every effect is recorded in {@link applied}.
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
export class TestApi {
  readonly applied: Applied[] = [];
  readonly sessions = new Sessions();
  readonly staticDir: string;
  /** An app mounted beside the API; none until a test mounts one. */
  mounted: MountedApp | undefined;
  /** Counts resets: an effect of a request from before the last reset (a slow one still running) is not recorded. */
  #generation = 0;
  /** A fresh key table for every reset, on the one embedded database this process shares. */
  #layer: Idempotency;
  readonly #server = createServer((req, res) => void this.#handle(req, res));
  #url = '';

  private constructor(staticDir: string) {
    this.staticDir = staticDir;
    this.#layer = freshLayer(this.sessions);
  }

  static async start(staticDir: string): Promise<TestApi> {
    const api = new TestApi(staticDir);
    if (ON_PGLITE) await embedded().ready();
    await new Promise<void>((resolve) => api.#server.listen(0, '127.0.0.1', resolve));
    api.#url = `http://127.0.0.1:${(api.#server.address() as AddressInfo).port}`;
    return api;
  }

  /** e.g. `http://127.0.0.1:41234` */
  get url(): string {
    return this.#url;
  }

  /** Forgets the effects, the sessions' tokens and the keys (a new table): a freshly deployed API. */
  reset(): void {
    this.applied.length = 0;
    this.#generation++;
    this.sessions.tokens.clear();
    this.#layer = freshLayer(this.sessions);
  }

  async close(): Promise<void> {
    this.reset();
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.#url);
    if (req.method === 'GET' && url.pathname === '/') return send(res, 200, PAGE, 'text/html');
    // The page, the worker, and any other script built next to them (a classic bundle for importScripts).
    if (req.method === 'GET' && /^\/[\w.-]+\.js$/.test(url.pathname)) {
      const js = await readFile(join(this.staticDir, url.pathname.slice(1)), 'utf8').catch(() => undefined);
      if (js === undefined) return send(res, 404, 'not found', 'text/plain');
      return send(res, 200, js, 'text/javascript');
    }
    const mounted = this.mounted && url.pathname.startsWith(this.mounted.prefix) ? this.mounted : undefined;
    if (!url.pathname.startsWith('/api/') && !mounted) return send(res, 404, 'not found', 'text/plain');

    const text = await readBody(req);
    if (this.sessions.handle(url.pathname, text, res, req)) return;
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers.set(name, value);
    const request = new Request(url, { method: req.method ?? 'GET', headers, ...(text !== '' && { body: text }) });
    if (mounted && request.method === 'GET') return writeResponse(res, await mounted.handle(request));
    const layer = this.#layer;
    const app = this.#app(request.headers.get('idempotency-key'), mounted);
    if (url.pathname !== '/api/batch') return writeResponse(res, await layer.handle(request, app));
    const batch = createBatchHandler({
      dispatch: (item, { op }) => layer.handle(item, this.#app(op.idempotencyKey)),
    });
    return writeResponse(res, await batch(request));
  }

  /**
   * The app's effect: records the op (unless a reset came since the request arrived) and answers 201, or as the
   * mounted app answers it.
   */
  #app(key: string | null, mounted?: MountedApp): AppHandler {
    const generation = this.#generation;
    return async (inner) => {
      const body = inner.body === null ? undefined : ((await inner.clone().json()) as unknown);
      if (generation === this.#generation)
        this.applied.push({
          key,
          path: new URL(inner.url).pathname,
          body,
          at: Date.now(),
          user: this.sessions.userOf(inner.headers),
        });
      return mounted ? mounted.handle(inner) : Response.json({ replayed: false }, { status: 201 });
    };
  }
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

function send(res: ServerResponse, status: number, body: string, type: string): void {
  if (res.destroyed) return;
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
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
