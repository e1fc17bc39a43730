import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createHandler } from './createHandler.ts';
import { MemoryIdempotencyStore } from './MemoryIdempotencyStore.ts';
import { toNodeListener } from './node.ts';

/** Sends `body` to `path`, and ends the connection once the handler has started. */
function sendThenHangUp(url: string, path: string, body: string, started: Promise<void>, key?: string): void {
  const req = request(`${url}${path}`, {
    method: body === '' ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json', ...(key && { 'idempotency-key': key }) },
  });
  req.on('error', () => undefined);
  req.end(body);
  void started.then(() => req.destroy());
}

describe("the handler's req.signal on node:http", () => {
  it('aborts when the client goes away, bare, behind the layer, and for a batch item', async () => {
    let start = (): void => undefined;
    const aborted: string[] = [];
    const handler = createHandler({
      store: new MemoryIdempotencyStore(),
      singleScope: 'test',
      effects: 'outside-database',
      batchPath: '/api/batch',
      handler: async (req) => {
        await req.arrayBuffer();
        const signal = req.signal;
        start();
        await new Promise((r) => signal.addEventListener('abort', r, { once: true }));
        aborted.push(`${new URL(req.url).pathname} ${req.headers.get('idempotency-key') ?? '-'}`);
        return new Response(null, { status: 204 });
      },
    });
    const server = createServer(toNodeListener(handler));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const until = async (n: number): Promise<void> => {
      for (let i = 0; i < 200 && aborted.length < n; i++) await new Promise((r) => setTimeout(r, 10));
    };
    const started = (): Promise<void> => new Promise<void>((r) => (start = r));
    try {
      // GET skips the layer: the adapter's request as the handler gets it.
      let s = started();
      sendThenHangUp(url, '/api/plain', '', s);
      await until(1);
      s = started();
      sendThenHangUp(url, '/api/messages', '{"text":"hi"}', s, 'k1');
      await until(2);
      s = started();
      const op = { target: '/api/messages', method: 'POST', idempotencyKey: 'k2', payload: { text: 'b' } };
      sendThenHangUp(url, '/api/batch', JSON.stringify({ ops: [op] }), s);
      await until(3);
      expect(aborted).toEqual(['/api/plain -', '/api/messages k1', '/api/messages k2']);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
