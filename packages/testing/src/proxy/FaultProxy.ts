import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { createServer, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { FerryError } from '@ferry/core';
import type { Incoming, TextAnswer } from './exchange.ts';
import { exchange } from './exchange.ts';
import type { FaultPlan, PlannedRequest } from './faults.ts';
import type { LoggedRequest } from './recorder.ts';
import { WireRecorder } from './recorder.ts';

export interface FaultProxyOptions {
  /** The API's origin, e.g. `http://127.0.0.1:3000`: requests keep their path and query. */
  target: string;
  /** Chooses each request's fault. @default every request passes */
  plan?: FaultPlan;
  /**
   * Which requests the plan sees; the others always pass and are not logged.
   * @default those with an `Idempotency-Key` header, and the ops of batch requests
   */
  match?: (req: PlannedRequest) => boolean;
  /** The loopback port to listen on. @default 0 (a free one) */
  port?: number;
}

/** The largest request body the proxy reads before forwarding (it reads bodies whole, to plan batch ops). */
const MAX_BODY_BYTES = 16 * 1024 * 1024;
/** Headers that describe one connection or one encoding of a body, not the answer: not relayed as read. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length']);

/**
 * A proxy in front of an app's real API that injects faults per request and
 * logs what reached the API, for `checkDelivery` (`@ferry/testing`). Point the app's
 * requests at {@link url} (e.g. a dev-server proxy or the transport's base
 * URL), or put it in front of the whole app: requests the plan does not see
 * (pages, scripts) pass as they are. The ops of a batch request of Ferry's
 * wire format are planned and logged one by one, as if each came alone.
 */
export class FaultProxy {
  /**
   * While true, the host is down behind an open port: every connection is
   * reset, whatever it asks (the page, a probe, the API), and nothing is
   * logged; {@link downRequests} counts the requests the plan would have seen.
   */
  down = false;
  /** The requests reset while {@link down} that the plan would have seen (a worker's attempts during the outage). */
  downRequests = 0;
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

  /** Every matched request in arrival order (an entry per op of a batch request). */
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

  /** Forgets the log and the per-key counts, ends {@link down}, and drops the requests left hanging. */
  reset(): void {
    this.#recorder.reset();
    this.down = false;
    this.downRequests = 0;
    for (const res of this.#open) res.destroy();
    this.#open.clear();
  }

  /**
   * Stops listening and drops every connection, keeping the log: the host is
   * gone and connections are refused, as in an outage. {@link resume} brings
   * it back on the same origin.
   */
  async stop(): Promise<void> {
    if (!this.#server.listening) return;
    for (const res of this.#open) res.destroy();
    this.#open.clear();
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  /** Listens again on the same port, so the origin (and a service worker's registration on it) stays the same. */
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
    if (this.#server.listening) await new Promise((resolve) => this.#server.close(resolve));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    if (body === undefined) return void req.socket.destroy();
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers[name] = value;
    const incoming: Incoming = {
      method: req.method ?? 'GET',
      path: new URL(req.url ?? '/', 'http://proxy').pathname,
      headers,
      body: body.toString('utf8'),
    };
    if (this.down) {
      if (this.#recorder.sees(incoming)) this.downRequests++;
      return void req.socket.destroy();
    }
    const forward = (text: string) => this.#forward(req, text);
    const ending = await exchange(this.#recorder, incoming, forward, () => res.destroyed, BAD_GATEWAY);
    if (ending === 'unmatched') return this.#pipe(req, body, res);
    if (ending === 'hang') return void this.#open.add(res);
    if (ending === 'drop') return void req.socket.destroy();
    if (res.destroyed) return;
    const answer = ending === 'unanswered' ? BAD_GATEWAY : ending.answer;
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
  }

  #upstream(req: IncomingMessage): { url: URL; headers: OutgoingHttpHeaders; send: typeof httpRequest } {
    const url = new URL(req.url ?? '/', this.#target);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return { url, headers: { ...req.headers, host: url.host }, send };
  }

  /** Sends the request on to the API with `body`; resolves its answer as text, or undefined when none came. */
  #forward(req: IncomingMessage, body: string): Promise<TextAnswer | undefined> {
    const { url, headers, send } = this.#upstream(req);
    delete headers['content-length'];
    return new Promise((resolve) => {
      const up = send(url, { method: req.method, headers }, (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('error', () => resolve(undefined));
        answer.on('end', () => {
          const relayed: Record<string, string> = {};
          for (const [name, value] of Object.entries(answer.headers))
            if (value !== undefined && !HOP_BY_HOP.has(name)) relayed[name] = String(value);
          const status = answer.statusCode ?? 502;
          resolve({ status, headers: relayed, body: Buffer.concat(chunks).toString('utf8') });
        });
      });
      up.on('error', () => resolve(undefined));
      up.end(body);
    });
  }

  /** Relays a request the plan does not see, as it is. */
  #pipe(req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    const { url, headers, send } = this.#upstream(req);
    const up = send(url, { method: req.method, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    up.on('error', () => {
      if (res.headersSent) return void res.destroy();
      res.writeHead(BAD_GATEWAY.status, BAD_GATEWAY.headers);
      res.end(BAD_GATEWAY.body);
    });
    up.end(body);
  }
}

const BAD_GATEWAY: TextAnswer = {
  status: 502,
  headers: { 'content-type': 'text/plain' },
  body: 'Bad Gateway: the API did not answer',
};

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
