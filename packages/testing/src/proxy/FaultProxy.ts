import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { createServer, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { FerryError } from '@ferry/core';
import type { FaultPlan, PlannedRequest } from './faults.ts';
import type { LoggedRequest } from './recorder.ts';
import { WireRecorder, cannedAnswer, noteAnswer, retryAfterOf } from './recorder.ts';

export interface FaultProxyOptions {
  /** The API's origin, e.g. `http://127.0.0.1:3000`: requests keep their path and query. */
  target: string;
  /** Chooses each request's fault. @default every request passes */
  plan?: FaultPlan;
  /**
   * Which requests the plan sees; the others always pass and are not logged.
   * @default those with an `Idempotency-Key` header, and batch requests
   */
  match?: (req: PlannedRequest) => boolean;
  /** The loopback port to listen on. @default 0 (a free one) */
  port?: number;
}

/** The largest request body the proxy reads before forwarding (it reads bodies whole, to log batch items). */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

/**
 * A proxy in front of an app's real API that injects faults per request and
 * logs what reached the API, for {@link checkDelivery}. Point the app's
 * requests at {@link url} (e.g. a dev-server proxy or the transport's base URL).
 * A batch request whose JSON body carries `ops: [{ idempotencyKey }]` is
 * logged once per op, all with the request's fault.
 */
export class FaultProxy {
  readonly #target: URL;
  readonly #recorder: WireRecorder;
  readonly #open = new Set<ServerResponse>();
  readonly #server = createServer((req, res) => void this.#handle(req, res));
  #url = '';

  private constructor(options: FaultProxyOptions) {
    try {
      this.#target = new URL(options.target);
    } catch {
      throw new FerryError('invalid-config', `target must be an absolute URL, got ${JSON.stringify(options.target)}`);
    }
    this.#recorder = new WireRecorder(options.plan, options.match);
  }

  static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    const proxy = new FaultProxy(options);
    await new Promise<void>((resolve) => proxy.#server.listen(options.port ?? 0, '127.0.0.1', resolve));
    proxy.#url = `http://127.0.0.1:${(proxy.#server.address() as AddressInfo).port}`;
    return proxy;
  }

  /** The proxy's origin, e.g. `http://127.0.0.1:41234`. */
  get url(): string {
    return this.#url;
  }

  /** Every matched request in arrival order (an item per op of a batch request). */
  get log(): LoggedRequest[] {
    return this.#recorder.log;
  }

  /** Chooses each matched request's fault; replace it between phases of a test. */
  get plan(): FaultPlan {
    return this.#recorder.plan;
  }

  set plan(plan: FaultPlan) {
    this.#recorder.plan = plan;
  }

  /** Forgets the log and the per-key counts, and drops the requests left hanging. */
  reset(): void {
    this.#recorder.reset();
    for (const res of this.#open) res.destroy();
    this.#open.clear();
  }

  async close(): Promise<void> {
    this.reset();
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    if (body === undefined) return void req.socket.destroy();
    const header = req.headers['idempotency-key'];
    const path = new URL(req.url ?? '/', 'http://proxy').pathname;
    const method = req.method ?? 'GET';
    const planned = this.#recorder.begin(
      method,
      path,
      typeof header === 'string' ? header : null,
      body.toString('utf8'),
    );
    if (planned === undefined) return void (await this.#forward(req, body, res, []));
    const { fault, entries } = planned;

    if (fault === 'hang') return this.#hang(res, entries);
    if (fault === 'reset') return this.#drop(req, entries);
    const answer = cannedAnswer(fault);
    if (answer !== undefined) {
      res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers });
      res.end(answer.body);
      return noteAnswer(entries, answer.status, retryAfterOf(answer.headers));
    }
    if (typeof fault === 'object' && 'latencyMs' in fault) await new Promise((r) => setTimeout(r, fault.latencyMs));
    if (fault === 'apply-and-drop' || fault === 'apply-and-hang') {
      const status = await this.#forward(req, body, undefined, entries);
      for (const e of entries) e.upstreamStatus = status;
      return fault === 'apply-and-drop' ? this.#drop(req, entries) : this.#hang(res, entries);
    }
    await this.#forward(req, body, res, entries);
  }

  /** Sends the request on to the API; relays the answer to `res` when given. Resolves the API's status. */
  #forward(
    req: IncomingMessage,
    body: Buffer,
    res: ServerResponse | undefined,
    entries: LoggedRequest[],
  ): Promise<number | undefined> {
    const url = new URL(req.url ?? '/', this.#target);
    const headers: OutgoingHttpHeaders = { ...req.headers, host: url.host };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<number | undefined>((resolve) => {
      const up = send(url, { method: req.method, headers }, (answer) => {
        const status = answer.statusCode ?? 502;
        for (const e of entries) e.upstreamStatus = status;
        if (res === undefined) return void answer.resume().on('end', () => resolve(status));
        if (res.destroyed) {
          noteAnswer(entries, status, answer.headers['retry-after'], false);
          return void answer.resume().on('end', () => resolve(status));
        }
        res.writeHead(status, answer.headers);
        answer.pipe(res);
        answer.on('end', () => {
          noteAnswer(entries, status, answer.headers['retry-after']);
          resolve(status);
        });
      });
      up.on('error', () => {
        if (res !== undefined && !res.headersSent) {
          res.writeHead(502, { 'content-type': 'text/plain' });
          res.end('Bad Gateway: the API did not answer');
          noteAnswer(entries, 502, undefined);
        }
        resolve(undefined);
      });
      up.end(body);
    });
  }

  #hang(res: ServerResponse, entries: LoggedRequest[]): void {
    for (const e of entries) e.outcome = 'hang';
    this.#open.add(res);
  }

  #drop(req: IncomingMessage, entries: LoggedRequest[]): void {
    for (const e of entries) e.outcome = 'drop';
    req.socket.destroy();
  }
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) resolve(undefined);
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', () => resolve(undefined));
  });
}
