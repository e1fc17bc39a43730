import { PGlite } from '@electric-sql/pglite';
import { Idempotency, createBatchHandler } from '@ferry/server';
import type { AppHandler } from '@ferry/server';
import { writeResponse } from '@ferry/server/node';
import { PgliteStore } from '@ferry/server/pglite';
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import type { FaultSettings } from './Faults.ts';
import { NO_FAULTS, decideFault, mergeFaults } from './Faults.ts';
import { Messages } from './Messages.ts';
import type { StoredMessage } from './Messages.ts';
import { DEMO_USERS, Tokens } from './Tokens.ts';

export interface DemoServerOptions {
  /** Where the embedded database (PGlite) keeps the messages and the idempotency keys. Without it (and without `db`), memory only. */
  dataDir?: string;
  /** An open PGlite to use instead (tests run many servers on one); the server leaves it open when it closes. */
  db?: PGlite;
  /** Prefix of this server's tables in the database. @default 'demo_' */
  tables?: string;
  /** Built page to serve at `/`. */
  staticDir?: string;
  port?: number;
  random?: () => number;
}

/** What the server saw on the wire, for tests that check invariants. */
export interface WireRecord {
  at: number;
  key: string | null;
  lane: string;
  /** 0: the connection was dropped without an answer (the `offline` fault). */
  status: number;
  /** True when the response was a replay of a stored one (a duplicate delivery). */
  replayed: boolean;
  /** True when the op came as an item of a `/api/batch` request. */
  batched?: true;
}

const MAX_BODY = 64 * 1024;
/** A batch carries up to this many ops (Ferry's default batch size is 25). */
const MAX_BATCH_OPS = 100;
const MAX_BATCH_BODY = 2 * 1024 * 1024;
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
};
/** The scope of the keys of messages sent without a token. */
const ANONYMOUS = 'anonymous';

class HttpError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

const headerKey = (req: IncomingMessage): string | null => {
  const key = req.headers['idempotency-key'];
  return typeof key === 'string' ? key : null;
};

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res
    .writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers })
    .end(JSON.stringify(body));
}

const answer = (status: number, body: unknown, headers: Record<string, string> = {}): Response =>
  Response.json(body, { status, headers: { 'cache-control': 'no-store', ...headers } });

async function readBody(req: IncomingMessage, limit = MAX_BODY): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError(413, 'body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The conversation a message body names (its lane), for the wire log; `default` when it names none or is not JSON. */
function laneOf(payload: unknown): string {
  const lane =
    typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>)['conversation'] : undefined;
  return typeof lane === 'string' ? lane : 'default';
}

function parseMessage(value: unknown): { text: string; lane: string; fields: Record<string, unknown> } {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new HttpError(400, 'body must be a JSON object');
  const fields = value as Record<string, unknown>;
  if (typeof fields['text'] !== 'string' || fields['text'].length === 0 || fields['text'].length > 2000) {
    throw new HttpError(400, 'text must be a string of 1 to 2000 characters');
  }
  return { text: fields['text'], lane: laneOf(fields), fields };
}

/**
 * The reference server, built on @ferry/server: `/api/messages` (and
 * `/api/batch`, several at once) behind the idempotency layer, with the
 * messages and the keys in one embedded database (PGlite), so a message and
 * its stored answer commit together; misbehaviour on demand; the built page.
 */
export function createDemoServer(options: DemoServerOptions = {}) {
  const random = options.random ?? (() => Math.random());
  const prefix = options.tables ?? 'demo_';
  // PGlite creates its data folder but not the folders above it (`demo/.data` is not in git).
  if (options.db === undefined && options.dataDir !== undefined) mkdirSync(options.dataDir, { recursive: true });
  const db = options.db ?? new PGlite(options.dataDir);
  const store = new PgliteStore({ db, table: `${prefix}keys` });
  const messages = new Messages(db, `${prefix}messages`);
  const ready = Promise.all([store.ready(), messages.ready()]).then(() => undefined);
  const wire: WireRecord[] = [];
  const tokens = new Tokens();
  let faults: FaultSettings = { ...NO_FAULTS };
  let closing: Promise<void> | undefined;

  /**
   * The app's handler behind the layer: runs once per key, inside the
   * transaction that holds the key (`ctx.sql`). Injected failures and poison
   * answer without an effect; only a 2xx is stored (`shouldStore` below), so
   * the same key may be sent again and go through.
   */
  const app: AppHandler = async (req, ctx) => {
    const path = new URL(req.url).pathname;
    if (req.method !== 'POST' || path !== '/api/messages')
      return answer(404, { error: `no route ${req.method} ${path}` });
    let parsed: ReturnType<typeof parseMessage>;
    try {
      parsed = parseMessage(await req.json());
    } catch (err) {
      return answer(400, { error: err instanceof HttpError ? err.message : 'body is not JSON' });
    }
    const fault = decideFault(faults, parsed.text, random);
    if (fault.kind === 'poison') return answer(422, { error: fault.reason });
    if (fault.kind === 'rate429')
      return answer(429, { error: 'slow down' }, { 'retry-after': String(fault.retryAfterS) });
    if (fault.kind === 'fail503') return answer(503, { error: 'server unavailable (injected)' });
    // The author is who the verified token says sent it (the key's scope); whatever the payload claims is overwritten.
    const author = ctx.scope === ANONYMOUS ? null : ctx.scope;
    const message = await messages.insert(ctx.sql as NonNullable<typeof ctx.sql>, {
      key: ctx.key ?? '',
      lane: parsed.lane,
      author,
      fields: parsed.fields,
    });
    return answer(201, { message });
  };

  const layer = new Idempotency({
    store,
    effects: 'in-transaction',
    // Keys are scoped per sender: the verified token's user, checked before the layer (authorOf).
    scope: (req) => authorOf(req.headers.get('authorization')) ?? ANONYMOUS,
    // A message queued by one user never takes effect as another who signed in since (403 user-mismatch, held).
    user: (req) => authorOf(req.headers.get('authorization')),
    // A poison message refused today may be sent again with its key once the rule is lifted: only successes are replayed.
    shouldStore: (status) => status >= 200 && status < 300,
    maxBodyBytes: MAX_BODY,
  });

  /** One message through the layer, recorded on the wire as the layer answered it. */
  async function through(req: Request, lane: string, batched: boolean): Promise<Response> {
    const res = await layer.handle(req, app);
    record(
      req.headers.get('idempotency-key'),
      { status: res.status, lane, replayed: res.headers.get('idempotent-replayed') === 'true' },
      batched,
    );
    return res;
  }

  function record(key: unknown, outcome: { status: number; lane: string; replayed: boolean }, batched = false): void {
    if (wire.length >= 200_000) return;
    wire.push({
      at: Date.now(),
      key: typeof key === 'string' ? key : null,
      lane: outcome.lane,
      status: outcome.status,
      replayed: outcome.replayed,
      ...(batched && { batched: true as const }),
    });
  }

  /**
   * Who sent a request: the user of its verified bearer token, null with no
   * `Authorization` (the demo takes anonymous messages too). A token that
   * does not verify (forged, expired) is a 401, before anything is applied.
   */
  function authorOf(auth: string | null | undefined): string | null {
    if (auth === undefined || auth === null) return null;
    const user = tokens.verify(auth.replace(/^Bearer /, ''));
    if (user === undefined)
      throw new HttpError(401, 'the bearer token is not valid (forged or expired): sign in again');
    return user;
  }

  async function login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let user: unknown;
    try {
      user = (JSON.parse(await readBody(req)) as { user?: unknown } | null)?.user;
    } catch {
      throw new HttpError(400, 'body is not JSON');
    }
    if (typeof user !== 'string' || !DEMO_USERS.includes(user))
      throw new HttpError(400, `user must be one of ${DEMO_USERS.join(', ')}`);
    send(res, 200, tokens.issue(user));
  }

  /** The Fetch API request an API call stands for, its body already read (within `limit`). */
  async function toFetchRequest(
    req: IncomingMessage,
    path: string,
    limit: number,
  ): Promise<{ request: Request; text: string }> {
    const text = await readBody(req, limit);
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers.set(name, value);
    return { request: new Request(new URL(path, 'http://demo.local'), { method: 'POST', headers, body: text }), text };
  }

  /** Processing time (the latency fault), before the layer: a slow network or a busy server. */
  const latency = (): Promise<void> | undefined =>
    faults.latencyMs > 0 ? new Promise((r) => setTimeout(r, faults.latencyMs)) : undefined;

  async function postMessage(req: IncomingMessage, res: ServerResponse): Promise<void> {
    authorOf(req.headers.authorization);
    const { request, text } = await toFetchRequest(req, '/api/messages', MAX_BODY);
    let payload: unknown;
    try {
      payload = JSON.parse(text);
    } catch {
      payload = undefined;
    }
    await latency();
    await writeResponse(res, await through(request, laneOf(payload), false));
  }

  /**
   * `POST /api/batch`, Ferry's batch wire format, by @ferry/server: items are
   * applied in order, each exactly as if it came alone (same key, same
   * fingerprint, through the same layer), and the first one that fails ends
   * the batch: the ones behind it are not attempted and get no result, so a
   * lane's order holds. A success's result carries its body.
   */
  async function postBatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    authorOf(req.headers.authorization);
    const { request } = await toFetchRequest(req, '/api/batch', MAX_BATCH_BODY);
    // One processing delay for the whole request: batching is what makes a slow round trip cheap.
    await latency();
    const batch = createBatchHandler({
      maxItems: MAX_BATCH_OPS,
      maxBodyBytes: MAX_BATCH_BODY,
      dispatch: (item, { op }) => through(item, laneOf(op.payload), true),
    });
    await writeResponse(res, await batch(request));
  }

  async function serveStatic(res: ServerResponse, pathname: string): Promise<void> {
    if (!options.staticDir) return send(res, 404, { error: 'no page built' });
    const root = normalize(options.staticDir);
    const file = normalize(join(root, pathname === '/' ? 'index.html' : pathname));
    if (!file.startsWith(root + sep)) return send(res, 404, { error: 'not found' });
    try {
      const body = await readFile(file);
      res
        .writeHead(200, {
          'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
          'cache-control': 'no-cache',
        })
        .end(body);
    } catch {
      send(res, 404, { error: 'not found' });
    }
  }

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = `${req.method} ${url.pathname}`;
    const api = url.pathname === '/api/messages' || url.pathname === '/api/batch';
    // The outage: what a dead network gives the browser, no status at all. Only the page itself and the
    // fault panel's own endpoints still answer; the API and any other request (a worker asking whether the
    // origin is up with `HEAD /`) get their connection destroyed.
    if (faults.offline && (api || (req.method !== 'GET' && !url.pathname.startsWith('/api/')))) {
      if (req.method === 'POST' && api)
        wire.push({ at: Date.now(), key: headerKey(req), lane: 'default', status: 0, replayed: false });
      return void req.socket.destroy();
    }
    const handle = async (): Promise<void> => {
      switch (route) {
        case 'POST /api/messages':
          return postMessage(req, res);
        case 'POST /api/batch':
          return postBatch(req, res);
        case 'GET /api/messages':
          return send(res, 200, { messages: (await messages.all()).map((e) => e.message) });
        case 'POST /api/login':
          return login(req, res);
        case 'GET /api/faults':
          return send(res, 200, faults);
        case 'PUT /api/faults':
          try {
            faults = mergeFaults(faults, JSON.parse(await readBody(req)));
          } catch (err) {
            throw new HttpError(400, err instanceof Error ? err.message : 'bad faults');
          }
          return send(res, 200, faults);
        case 'GET /api/wire':
          return send(res, 200, { wire });
        default:
          if (req.method === 'GET' && !url.pathname.startsWith('/api/')) return serveStatic(res, url.pathname);
          return send(res, 404, { error: `no route ${route}` });
      }
    };
    handle().catch((err: unknown) => {
      if (res.headersSent) return void res.destroy();
      if (err instanceof HttpError) send(res, err.status, { error: err.message });
      else send(res, 500, { error: 'internal error' });
    });
  });

  return {
    server,
    wire,
    /** Resolves once the database is open and its tables exist (PGlite takes a few seconds to start). */
    ready(): Promise<void> {
      return ready;
    },
    /** Every message the server stored, in order (tests, tools). */
    messages(): Promise<StoredMessage[]> {
      return messages.all();
    },
    get faults(): FaultSettings {
      return faults;
    },
    setFaults(patch: Partial<FaultSettings>): void {
      faults = mergeFaults(faults, patch);
    },
    /** Rejects (e.g. `EADDRINUSE`) when the port cannot be taken. */
    async listen(port = options.port ?? 0, host = '127.0.0.1'): Promise<string> {
      await ready;
      await new Promise<void>((resolve, reject) => {
        const onError = (err: Error): void => reject(err);
        server.once('error', onError);
        server.listen(port, host, () => {
          server.off('error', onError);
          resolve();
        });
      });
      return `http://${host}:${(server.address() as AddressInfo).port}`;
    },
    /** Stops listening and drops every connection, keeping the database open: an outage, `listen` ends it. */
    async stop(): Promise<void> {
      server.closeAllConnections();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    /** Stops listening, then closes the database unless it was given (`db`). Once; later calls do nothing. */
    close(): Promise<void> {
      closing ??= (async () => {
        await this.stop();
        await ready.catch(() => undefined);
        if (!options.db) await db.close();
      })();
      return closing;
    },
  };
}

export type DemoServer = ReturnType<typeof createDemoServer>;
