import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import type { FaultSettings } from './Faults.ts';
import { NO_FAULTS, decideFault, mergeFaults } from './Faults.ts';
import { IdempotencyLedger } from './IdempotencyLedger.ts';
import { MessageLog } from './MessageLog.ts';

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
}

const MAX_BODY = 64 * 1024;
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
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const headerKey = (req: IncomingMessage): string | null => {
  const key = req.headers['idempotency-key'];
  return typeof key === 'string' ? key : null;
};

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers }).end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, 'body too large');
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
 * The reference server: `/api/messages` with idempotency-key deduplication,
 * messages kept in a file, misbehaviour on demand, and the built demo page.
 */
export function createDemoServer(options: DemoServerOptions = {}) {
  const random = options.random ?? (() => Math.random());
  const log = new MessageLog(options.dataFile);
  const ledger = new IdempotencyLedger();
  for (const e of log.entries) ledger.restore(e.key, e.fingerprint, e.response);
  const wire: WireRecord[] = [];
  let faults: FaultSettings = { ...NO_FAULTS };

  async function postMessage(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const key = req.headers['idempotency-key'];
    const raw = await readBody(req);
    const record = (status: number, replayed = false, lane = 'default'): void => {
      if (wire.length < 200_000) wire.push({ at: Date.now(), key: typeof key === 'string' ? key : null, lane, status, replayed });
    };
    if (typeof key !== 'string' || key.length === 0 || key.length > 256) {
      record(400);
      return send(res, 400, { error: 'an Idempotency-Key header is required' });
    }
    const { text, lane, fields } = parseMessage(raw);
    const fingerprint = IdempotencyLedger.fingerprint('POST', path, raw);
    const admission = ledger.admit(key, fingerprint);
    if (admission.kind === 'replay') {
      record(admission.response.status, true, lane);
      return send(res, admission.response.status, admission.response.body, { 'idempotent-replayed': 'true' });
    }
    if (admission.kind === 'in-progress') {
      record(409, false, lane);
      return send(res, 409, { error: 'a request with this Idempotency-Key is still being processed' }, { 'retry-after': '1' });
    }
    if (admission.kind === 'mismatch') {
      record(422, false, lane);
      return send(res, 422, { error: 'this Idempotency-Key was used with a different payload' });
    }
    const fault = decideFault(faults, text, random);
    // Processing time, while the key is held: a repeat arriving now gets 409.
    if (faults.latencyMs > 0) await new Promise((r) => setTimeout(r, faults.latencyMs));
    if (fault.kind !== 'pass') {
      ledger.release(key);
      if (fault.kind === 'poison') {
        record(422, false, lane);
        return send(res, 422, { error: fault.reason });
      }
      if (fault.kind === 'rate429') {
        record(429, false, lane);
        return send(res, 429, { error: 'slow down' }, { 'retry-after': String(fault.retryAfterS) });
      }
      record(503, false, lane);
      return send(res, 503, { error: 'server unavailable (injected)' });
    }
    const message = { ...fields, seq: log.nextSeq, receivedAt: Date.now() };
    const response = { status: 201, body: { message } };
    log.append({ key, fingerprint, lane, message, response });
    ledger.succeed(key, fingerprint, response);
    record(201, false, lane);
    send(res, 201, response.body);
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
    if (faults.offline && url.pathname === '/api/messages') {
      // What a dead network gives the browser: no status at all, the fetch rejects.
      if (req.method === 'POST') wire.push({ at: Date.now(), key: headerKey(req), lane: 'default', status: 0, replayed: false });
      return void req.socket.destroy();
    }
    const handle = async (): Promise<void> => {
      switch (route) {
        case 'POST /api/messages':
          return postMessage(req, res, url.pathname);
        case 'GET /api/messages':
          return send(res, 200, { messages: log.entries.map((e) => e.message) });
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
