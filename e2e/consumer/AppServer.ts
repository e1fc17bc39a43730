import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';

/** One API request as it arrived. */
export interface AppRequest {
  method: string;
  path: string;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  body: string;
  at: number;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
};

/**
 * Serves a built app from `dir` (switch it to deploy another version: the
 * old version's files are gone, as after a real deploy) and an API under
 * `/api/` that records every request with its headers and answers
 * `answer(req)` (default 201).
 */
export class AppServer {
  dir: string;
  readonly received: AppRequest[] = [];
  answer: (req: AppRequest) => number = () => 201;
  readonly #server = createServer((req, res) => void this.#handle(req, res));
  #url = '';

  private constructor(dir: string) {
    this.dir = dir;
  }

  static async start(dir: string): Promise<AppServer> {
    const s = new AppServer(dir);
    await new Promise<void>((resolve) => s.#server.listen(0, '127.0.0.1', resolve));
    s.#url = `http://127.0.0.1:${(s.#server.address() as AddressInfo).port}`;
    return s;
  }

  get url(): string {
    return this.#url;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.#url);
    if (url.pathname.startsWith('/api/')) {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      const rec: AppRequest = {
        method: req.method ?? '',
        path: url.pathname,
        headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      this.received.push(rec);
      const status = this.answer(rec);
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ status }));
      return;
    }
    const path = normalize(url.pathname === '/' ? '/index.html' : url.pathname);
    try {
      const body = await readFile(join(this.dir, path));
      res
        .writeHead(200, {
          'content-type': TYPES[extname(path)] ?? 'application/octet-stream',
          'cache-control': 'no-cache',
        })
        .end(body);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  }
}
