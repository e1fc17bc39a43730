/**
 * A keep-alive connection survives an answer sent before the request's body was read (a 413, a
 * 400): the adapter drains the rest of the body (bounded) or closes the connection with
 * `Connection: close`, so the next request on it is answered, never reset or left hanging.
 */
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createHandler } from './createHandler.ts';
import { MemoryIdempotencyStore } from './MemoryIdempotencyStore.ts';
import type { DrainOptions } from './node.ts';
import { toNodeListener } from './node.ts';

interface Answer {
  status: number;
  connection: string | undefined;
  port: number;
}

const servers: { close(): void }[] = [];
afterEach(() => servers.splice(0).forEach((s) => s.close()));

async function serve(options: DrainOptions = {}) {
  const fetch = createHandler({
    store: new MemoryIdempotencyStore(),
    singleScope: 'tests',
    effects: 'outside-database',
    handler: async (req) => new Response(await req.text(), { status: 201 }),
  });
  const server = createServer(toNodeListener(fetch, options));
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  servers.push({ close: () => agent.destroy() });
  const { port } = server.address() as AddressInfo;
  /** One request over the agent's single connection; fails after 3 s instead of hanging. */
  const send = (key: string | null, body: Buffer, chunked = false) =>
    new Promise<Answer>((resolve, reject) => {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (key) headers['idempotency-key'] = key;
      if (!chunked) headers['content-length'] = String(body.byteLength);
      const req = request({ port, host: '127.0.0.1', path: '/api/x', method: 'POST', agent, headers, timeout: 3_000 });
      req.on('timeout', () => req.destroy(new Error('no answer within 3 s')));
      req.on('error', reject);
      req.on('response', (res) => {
        res.resume();
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, port: req.socket!.localPort! }),
        );
      });
      if (chunked) {
        // Two writes without Content-Length: Transfer-Encoding: chunked.
        req.write(body.subarray(0, 1024));
        req.end(body.subarray(1024));
      } else req.end(body);
    });
  return { send };
}

const tooBig = Buffer.alloc(1_048_576 + 1, 'a');
const small = Buffer.from('{"n":1}');

describe('a keep-alive connection after an early answer', () => {
  // Chunked, the limit trips mid-stream: 2 MiB leaves about 1 MiB unread behind the answer.
  for (const [chunked, body] of [
    [false, tooBig],
    [true, Buffer.alloc(2_097_152, 'a')],
  ] as const) {
    it(`${chunked ? '2 MiB chunked' : '1 MiB + 1 sized'}: 413, then the same connection answers the next`, async () => {
      const { send } = await serve();
      const refused = await send('k1', body, chunked);
      expect(refused.status).toBe(413);
      const next = await send('k2', small);
      expect(next.status).toBe(201);
      // Drained, not closed: the very same connection carried both.
      expect(next.port).toBe(refused.port);
    });
  }

  it('an answer sent before the body was read at all (no key: 400) leaves the connection usable', async () => {
    const { send } = await serve();
    const refused = await send(null, Buffer.alloc(300_000, 'a'));
    expect(refused.status).toBe(400);
    const next = await send('k2', small);
    expect([next.status, next.port]).toEqual([201, refused.port]);
  });

  it('a body too big to drain is answered with Connection: close; the next request gets a new connection', async () => {
    const { send } = await serve({ drainBytes: 64_000 });
    const refused = await send('k1', tooBig);
    expect([refused.status, refused.connection]).toEqual([413, 'close']);
    const next = await send('k2', small);
    expect(next.status).toBe(201);
  });
});
