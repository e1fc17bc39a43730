import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import type { FaultSettings } from './Faults.ts';
import { NO_FAULTS, decideFault, mergeFaults } from './Faults.ts';
import { IdempotencyLedger } from './IdempotencyLedger.ts';
import { MessageLog } from './MessageLog.ts';
import { DEMO_USERS, Tokens } from './Tokens.ts';

export interface DemoServerOptions {
  /** JSON-lines file the messages are kept in. Without it, memory only. */
  dataFile?: string;
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
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers }).end(JSON.stringify(body));
}

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

function parseMessage(body: string): { text: string; lane: string; fields: Record<string, unknown> } {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new HttpError(400, 'body is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new HttpError(400, 'body must be a JSON object');
  const fields = value as Record<string, unknown>;
  if (typeof fields.text !== 'string' || fields.text.length === 0 || fields.text.length > 2000) {
    throw new HttpError(400, 'text must be a string of 1 to 2000 characters');
  }
  const lane = typeof fields.conversation === 'string' ? fields.conversation : 'default';
  return { text: fields.text, lane, fields };
}

/**
 * The reference server: `/api/messages` (and `/api/batch`, several at once) with idempotency-key deduplication,
 * messages kept in a file, misbehaviour on demand, and the built demo page.
 */
export function createDemoServer(options: DemoServerOptions = {}) {
  const random = options.random ?? (() => Math.random());
  const log = new MessageLog(options.dataFile);
  const ledger = new IdempotencyLedger();
  for (const e of log.entries) ledger.restore(e.key, e.fingerprint, e.response);
  const wire: WireRecord[] = [];
  const tokens = new Tokens();
  let faults: FaultSettings = { ...NO_FAULTS };

  /** An answer to one message, before it is written to a response (a batch collects several). */
  interface Outcome {
    status: number;
    body: unknown;
    headers?: Record<string, string>;
    lane: string;
    replayed?: boolean;
  }

  /**
   * Applies one message under its Idempotency-Key: the same rules whether it
   * came alone to `/api/messages` or as an item of `/api/batch`. `raw` is its
   * JSON body, which the key's fingerprint covers.
   */
  async function applyMessage(key: unknown, raw: string, path: string, delay: boolean, author: string | null): Promise<Outcome> {
    if (typeof key !== 'string' || key.length === 0 || key.length > 256) {
      return { status: 400, body: { error: 'an Idempotency-Key is required' }, lane: 'default' };
    }
    let parsed: ReturnType<typeof parseMessage>;
    try {
      parsed = parseMessage(raw);
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      return { status: err.status, body: { error: err.message }, lane: 'default' };
    }
    const { text, lane, fields } = parsed;
    const fingerprint = IdempotencyLedger.fingerprint('POST', path, raw);
    const admission = ledger.admit(key, fingerprint);
    if (admission.kind === 'replay') {
      return { ...admission.response, headers: { 'idempotent-replayed': 'true' }, lane, replayed: true };
    }
    if (admission.kind === 'in-progress') {
      return { status: 409, body: { error: 'a request with this Idempotency-Key is still being processed' }, headers: { 'retry-after': '1' }, lane };
    }
    if (admission.kind === 'mismatch') return { status: 422, body: { error: 'this Idempotency-Key was used with a different payload' }, lane };
    const fault = decideFault(faults, text, random);
    // Processing time, while the key is held: a repeat arriving now gets 409.
    if (delay && faults.latencyMs > 0) await new Promise((r) => setTimeout(r, faults.latencyMs));
    if (fault.kind !== 'pass') {
      ledger.release(key);
      if (fault.kind === 'poison') return { status: 422, body: { error: fault.reason }, lane };
      if (fault.kind === 'rate429') return { status: 429, body: { error: 'slow down' }, headers: { 'retry-after': String(fault.retryAfterS) }, lane };
      return { status: 503, body: { error: 'server unavailable (injected)' }, lane };
    }
    // The author is who the verified token says sent it; whatever the payload claims is overwritten.
    const message = { ...fields, author, seq: log.nextSeq, receivedAt: Date.now() };
    const response = { status: 201, body: { message } };
    log.append({ key, fingerprint, lane, message, response });
    ledger.succeed(key, fingerprint, response);
    return { ...response, lane };
  }

  function record(key: unknown, outcome: Pick<Outcome, 'status' | 'lane' | 'replayed'>, batched = false): void {
    if (wire.length >= 200_000) return;
    wire.push({
      at: Date.now(),
      key: typeof key === 'string' ? key : null,
      lane: outcome.lane,
      status: outcome.status,
      replayed: outcome.replayed === true,
      ...(batched && { batched: true as const }),
    });
  }

  /**
   * Who sent a request: the user of its verified bearer token, null with no
   * `Authorization` (the demo takes anonymous messages too). A token that
   * does not verify (forged, expired) is a 401, before anything is applied.
   */
  function authorOf(req: IncomingMessage): string | null {
    const auth = req.headers.authorization;
    if (auth === undefined) return null;
    const user = tokens.verify(auth.replace(/^Bearer /, ''));
    if (user === undefined) throw new HttpError(401, 'the bearer token is not valid (forged or expired): sign in again');
    return user;
  }

  async function login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let user: unknown;
    try {
      user = (JSON.parse(await readBody(req)) as { user?: unknown } | null)?.user;
    } catch {
      throw new HttpError(400, 'body is not JSON');
    }
    if (typeof user !== 'string' || !DEMO_USERS.includes(user)) throw new HttpError(400, `user must be one of ${DEMO_USERS.join(', ')}`);
    send(res, 200, tokens.issue(user));
  }

  async function postMessage(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const key = req.headers['idempotency-key'];
    const author = authorOf(req);
    const outcome = await applyMessage(key, await readBody(req), path, true, author);
    record(key, outcome);
    send(res, outcome.status, outcome.body, outcome.headers);
  }

  /**
   * `POST /api/batch`, Ferry's batch wire format: `{ ops: [{ id, kind, target,
   * method, idempotencyKey, payload }] }` answered `{ results: [{ status,
   * error?, retryAfter? }] }`. Items are applied in order, each exactly as if
   * it came alone (same key, same fingerprint), and the first one that fails
   * ends the batch: the ones behind it are not attempted and get no result,
   * so a lane's order holds.
   */
  async function postBatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const author = authorOf(req);
    let ops: unknown;
    try {
      ops = (JSON.parse(await readBody(req, MAX_BATCH_BODY)) as { ops?: unknown } | null)?.ops;
    } catch (err) {
      if (err instanceof HttpError) throw err;
      throw new HttpError(400, 'body is not JSON');
    }
    if (!Array.isArray(ops) || ops.length === 0 || ops.length > MAX_BATCH_OPS) {
      throw new HttpError(400, `ops must be an array of 1 to ${MAX_BATCH_OPS} operations`);
    }
    // One processing delay for the whole request: batching is what makes a slow round trip cheap.
    if (faults.latencyMs > 0) await new Promise((r) => setTimeout(r, faults.latencyMs));
    const results: { status: number; error?: string; retryAfter?: string; body?: unknown }[] = [];
    for (const item of ops as unknown[]) {
      const op = (typeof item === 'object' && item !== null ? item : {}) as { target?: unknown; method?: unknown; idempotencyKey?: unknown; payload?: unknown };
      const outcome: Outcome =
        op.target === '/api/messages' && op.method === 'POST'
          ? await applyMessage(op.idempotencyKey, JSON.stringify(op.payload ?? null), '/api/messages', false, author)
          : { status: 404, body: { error: `no route ${String(op.method)} ${String(op.target)}` }, lane: 'default' };
      record(op.idempotencyKey, outcome, true);
      const error = (outcome.body as { error?: unknown } | null)?.error;
      const retryAfter = outcome.headers?.['retry-after'];
      results.push({
        status: outcome.status,
        ...(typeof error === 'string' && { error }),
        ...(retryAfter !== undefined && { retryAfter }),
        // A success carries its body, as the single request's would: Ferry keeps it with the done op.
        ...(outcome.status < 300 && { body: outcome.body }),
      });
      if (outcome.status >= 300) break;
    }
    send(res, 200, { results });
  }

  async function serveStatic(res: ServerResponse, pathname: string): Promise<void> {
    if (!options.staticDir) return send(res, 404, { error: 'no page built' });
    const root = normalize(options.staticDir);
    const file = normalize(join(root, pathname === '/' ? 'index.html' : pathname));
    if (!file.startsWith(root + sep)) return send(res, 404, { error: 'not found' });
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' }).end(body);
    } catch {
      send(res, 404, { error: 'not found' });
    }
  }

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = `${req.method} ${url.pathname}`;
    if (faults.offline && (url.pathname === '/api/messages' || url.pathname === '/api/batch')) {
      // What a dead network gives the browser: no status at all, the fetch rejects.
      if (req.method === 'POST') wire.push({ at: Date.now(), key: headerKey(req), lane: 'default', status: 0, replayed: false });
      return void req.socket.destroy();
    }
    const handle = async (): Promise<void> => {
      switch (route) {
        case 'POST /api/messages':
          return postMessage(req, res, url.pathname);
        case 'POST /api/batch':
          return postBatch(req, res);
        case 'GET /api/messages':
          return send(res, 200, { messages: log.entries.map((e) => e.message) });
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
    log,
    wire,
    get faults(): FaultSettings {
      return faults;
    },
    setFaults(patch: Partial<FaultSettings>): void {
      faults = mergeFaults(faults, patch);
    },
    /** Rejects (e.g. `EADDRINUSE`) when the port cannot be taken. */
    async listen(port = options.port ?? 0, host = '127.0.0.1'): Promise<string> {
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
    close(): Promise<void> {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

export type DemoServer = ReturnType<typeof createDemoServer>;
