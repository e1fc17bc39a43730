import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { DemoServer } from './createDemoServer.ts';
import { listenWithFallback } from './listenWithFallback.ts';
import { useDemoServers } from './testServers.ts';

const demoServer = useDemoServers();

const demo = (): DemoServer => demoServer();

const post = (url: string, text: string, key: string) =>
  fetch(`${url}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify({ text }),
  });

describe('the offline fault', () => {
  it('drops /api/messages connections without an answer, keeps the control routes, and recovers', async () => {
    const server = demo();
    const url = await server.listen();
    const put = await fetch(`${url}/api/faults`, { method: 'PUT', body: JSON.stringify({ offline: true }) });
    expect(await put.json()).toMatchObject({ offline: true });
    // A fetch without a response rejects, as it does when the network is down.
    await expect(post(url, 'lost', 'k1')).rejects.toThrow(TypeError);
    await expect(fetch(`${url}/api/messages`)).rejects.toThrow(TypeError);
    expect((await fetch(`${url}/api/faults`)).status).toBe(200);
    expect(await server.messages()).toHaveLength(0);
    expect(server.wire.map((w) => w.status)).toEqual([0]);

    server.setFaults({ offline: false });
    expect((await post(url, 'lost', 'k1')).status).toBe(201);
    expect((await server.messages()).map((e) => e.message.text)).toEqual(['lost']);
  });

  it('accepts only a boolean', async () => {
    const url = await demo().listen();
    const bad = await fetch(`${url}/api/faults`, { method: 'PUT', body: JSON.stringify({ offline: 'yes' }) });
    expect(bad.status).toBe(400);
  });
});

describe('listen', () => {
  it('rejects with EADDRINUSE on a taken port, and listenWithFallback then takes a free one', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as AddressInfo).port;
    try {
      await expect(demo().listen(taken)).rejects.toMatchObject({ code: 'EADDRINUSE' });
      const url = await listenWithFallback(demo(), taken);
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(url).not.toBe(`http://127.0.0.1:${taken}`);
      expect((await fetch(`${url}/api/faults`)).status).toBe(200);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
