import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

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
  /** Wall-clock ms when the answer was written (a status only). */
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
}

/**
 * How to answer one API request: a status (nothing applied), `hang` (no
 * answer, nothing applied), `apply-and-hang` (the effect is applied but the
 * answer never comes: what a client killed mid-send sees), `drop` (the
 * connection is destroyed, nothing applied), `apply-and-drop` (applied, then
 * the connection is destroyed), or `undefined` for the default behaviour
 * (apply once per key, answer 201; a repeated key answers 200 without
 * applying again).
 */
export type Answer =
  { status: number; headers?: Record<string, string> } | 'hang' | 'apply-and-hang' | 'drop' | 'apply-and-drop' | { delayMs: number } | undefined;

/** Decides the answer to a request; `nth` counts requests with the same key, from 1. */
export type Script = (req: Received, nth: number) => Answer;

const PAGE = `<!doctype html><meta charset="utf-8"><title>ferry e2e</title><script type="module" src="/page.js"></script>`;

/**
 * A loopback server for the end-to-end tests: serves the test page and the
 * service worker bundle, and an API under `/api/` that records every request
 * (Idempotency-Key and body), deduplicates by key so each effect applies
 * once, and can be scripted per test to answer 503, 429 + Retry-After, 400,
 * or not at all. `POST /api/batch` takes Ferry's batch format: each item is
 * recorded and scripted as if it came alone, in order, and the first item
 * that fails ends the batch (a hang or a drop takes the whole request).
 */
export class TestServer {
  readonly received: Received[] = [];
  readonly applied: Applied[] = [];
  script: Script = () => undefined;
  readonly #keys = new Set<string>();
  readonly #count = new Map<string, number>();
  readonly #hanging = new Set<ServerResponse>();
  readonly #server = createServer((req, res) => void this.#handle(req, res));
  #url = '';

  readonly staticDir: string;

  private constructor(staticDir: string) {
    this.staticDir = staticDir;
  }

  static async start(staticDir: string): Promise<TestServer> {
    const s = new TestServer(staticDir);
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

  /** Forgets everything and drops requests left hanging: a fresh API for the next test. */
  reset(): void {
    this.received.length = 0;
    this.applied.length = 0;
    this.#keys.clear();
    this.#count.clear();
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
    if (req.method === 'GET' && url.pathname === '/') return send(res, 200, PAGE, 'text/html');
    // The page, the worker, and any other script built next to them (a classic bundle for importScripts).
    if (req.method === 'GET' && /^\/[\w.-]+\.js$/.test(url.pathname)) {
      const js = await readFile(join(this.staticDir, url.pathname.slice(1)), 'utf8').catch(() => undefined);
      if (js === undefined) return send(res, 404, 'not found', 'text/plain');
      return send(res, 200, js, 'text/javascript');
    }
    if (!url.pathname.startsWith('/api/')) return send(res, 404, 'not found', 'text/plain');

    const text = await readBody(req);
    if (url.pathname === '/api/batch') return this.#batch(req, res, text);
    const key = req.headers['idempotency-key'];
    const rec: Received = {
      method: req.method ?? '',
      path: url.pathname,
      key: typeof key === 'string' ? key : null,
      body: text === '' ? undefined : JSON.parse(text),
      at: Date.now(),
      headers: Object.fromEntries(Object.entries(req.headers).filter((e): e is [string, string] => typeof e[1] === 'string')),
    };
    this.received.push(rec);
    const nth = (this.#count.get(rec.key ?? '') ?? 0) + 1;
    this.#count.set(rec.key ?? '', nth);

    const answer = this.script(rec, nth);
    if (answer === 'hang' || answer === 'apply-and-hang') {
      if (answer === 'apply-and-hang') this.#apply(rec);
      rec.outcome = 'hang';
      return void this.#hanging.add(res);
    }
    if (answer === 'drop' || answer === 'apply-and-drop') {
      if (answer === 'apply-and-drop') this.#apply(rec);
      rec.outcome = 'drop';
      return void req.socket.destroy();
    }
    if (answer && 'status' in answer) {
      const retryAfter = Object.entries(answer.headers ?? {}).find(([k]) => k.toLowerCase() === 'retry-after')?.[1];
      if (retryAfter !== undefined && /^\d+$/.test(retryAfter)) rec.retryAfterMs = Number(retryAfter) * 1000;
      return this.#answer(rec, res, answer.status, '{}', answer.headers);
    }
    if (answer && 'delayMs' in answer) await new Promise((r) => setTimeout(r, answer.delayMs));
    const fresh = this.#apply(rec);
    return this.#answer(rec, res, fresh ? 201 : 200, JSON.stringify({ replayed: !fresh }));
  }

  /** Ferry's batch format: `{ ops: [...] }` answered `{ results: [{ status, retryAfter? }] }`. */
  async #batch(req: IncomingMessage, res: ServerResponse, text: string): Promise<void> {
    const items = (JSON.parse(text) as { ops: { target: string; method: string; idempotencyKey: string; payload: unknown }[] }).ops;
    const results: { status: number; retryAfter?: string }[] = [];
    const answered: Received[] = [];
    for (const item of items) {
      const rec: Received = { method: item.method, path: item.target, key: item.idempotencyKey, body: item.payload, at: Date.now(), batched: true };
      this.received.push(rec);
      const nth = (this.#count.get(rec.key ?? '') ?? 0) + 1;
      this.#count.set(rec.key ?? '', nth);
      const answer = this.script(rec, nth);
      if (answer === 'hang' || answer === 'apply-and-hang' || answer === 'drop' || answer === 'apply-and-drop') {
        if (answer.startsWith('apply')) this.#apply(rec);
        const hang = answer.endsWith('hang');
        for (const r of [...answered, rec]) r.outcome = hang ? 'hang' : 'drop';
        if (hang) return void this.#hanging.add(res);
        return void req.socket.destroy();
      }
      answered.push(rec);
      if (answer && 'status' in answer) {
        const retryAfter = Object.entries(answer.headers ?? {}).find(([k]) => k.toLowerCase() === 'retry-after')?.[1];
        if (retryAfter !== undefined && /^\d+$/.test(retryAfter)) rec.retryAfterMs = Number(retryAfter) * 1000;
        rec.outcome = answer.status;
        results.push({ status: answer.status, ...(retryAfter !== undefined && { retryAfter }) });
        if (answer.status >= 300) break;
        continue;
      }
      if (answer && 'delayMs' in answer) await new Promise((r) => setTimeout(r, answer.delayMs));
      const fresh = this.#apply(rec);
      rec.outcome = fresh ? 201 : 200;
      results.push({ status: rec.outcome });
    }
    const now = Date.now();
    for (const r of answered) r.answeredAt = now;
    send(res, 200, JSON.stringify({ results }), 'application/json');
  }

  #answer(rec: Received, res: ServerResponse, status: number, body: string, headers?: Record<string, string>): void {
    rec.outcome = status;
    rec.answeredAt = Date.now();
    send(res, status, body, 'application/json', headers);
  }

  /** Applies the request's effect unless its key was applied before. */
  #apply(rec: Received): boolean {
    if (rec.key !== null) {
      if (this.#keys.has(rec.key)) return false;
      this.#keys.add(rec.key);
    }
    this.applied.push({ key: rec.key, path: rec.path, body: rec.body, at: rec.at });
    return true;
  }
}

function send(res: ServerResponse, status: number, body: string, type: string, headers: Record<string, string> = {}): void {
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
