import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DrainOptions } from './lib/nodeBody.ts';
import { bodyStream, settleBody } from './lib/nodeBody.ts';
import { withSignal } from './lib/signal.ts';
import { problem } from './problem.ts';

export type { DrainOptions } from './lib/nodeBody.ts';

/** Express sets `originalUrl` before a mounted router cuts `url`. */
type NodeRequest = IncomingMessage & { originalUrl?: string };

/**
 * Serves a Fetch API handler on Node's `http` (and so on Express, Fastify's
 * `raw` mode, Koa's `callback()`…): `createServer(toNodeListener(handler))`.
 * Mount it before any body parser; it reads the body itself. A body the handler answers without
 * reading to its end (a 413, a 401…) is drained or its connection closed ({@link DrainOptions}), so
 * the next request on a keep-alive connection works.
 */
export function toNodeListener(
  handler: (req: Request) => Response | Promise<Response>,
  options: DrainOptions = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void serve(handler, req as NodeRequest, res, options);
  };
}

/** Builds the Fetch API request Node's `req` stands for. */
export function toRequest(req: NodeRequest, signal?: AbortSignal): Request {
  const tls = (req.socket as { encrypted?: boolean }).encrypted === true;
  const url = new URL(
    req.originalUrl ?? req.url ?? '/',
    `${tls ? 'https' : 'http'}://${req.headers.host ?? 'localhost'}`,
  );
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i] ?? '';
    // HTTP/2 pseudo-headers (":path") are not headers to a Fetch API handler.
    if (!name.startsWith(':')) headers.append(name, req.rawHeaders[i + 1] ?? '');
  }
  const method = req.method ?? 'GET';
  const hasBody = method !== 'GET' && method !== 'HEAD';
  return new Request(url, {
    method,
    headers,
    ...(hasBody && { body: bodyStream(req), duplex: 'half' }),
    ...(signal && { signal }),
  } as RequestInit);
}

async function serve(
  handler: (req: Request) => Response | Promise<Response>,
  req: NodeRequest,
  res: ServerResponse,
  options: DrainOptions,
): Promise<void> {
  const aborted = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) aborted.abort();
  });
  let answer: Response;
  try {
    // The signal, aborted when the client goes away first, is linked only if the handler reads it.
    answer = await handler(withSignal(toRequest(req), () => aborted.signal));
  } catch {
    answer = problem(500, 'handler-failed', 'the request failed');
  }
  settleBody(req, res, options);
  await writeResponse(res, answer, req.method === 'HEAD');
}

/** Writes a Fetch API response to Node's `res` (status, headers with every `Set-Cookie`, streamed body). */
export async function writeResponse(res: ServerResponse, answer: Response, head = false): Promise<void> {
  if (res.destroyed) return;
  const headers: Record<string, string | string[]> = {};
  answer.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers[name] = value;
  });
  const cookies = answer.headers.getSetCookie();
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  res.writeHead(answer.status, headers);
  if (!answer.body || head) return void res.end();
  try {
    for await (const chunk of answer.body as unknown as AsyncIterable<Uint8Array>) {
      if (!res.write(chunk)) await new Promise((r) => res.once('drain', r));
    }
    res.end();
  } catch {
    res.destroy();
  }
}
