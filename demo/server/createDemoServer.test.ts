import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DemoServer } from './createDemoServer.ts';
import { createDemoServer } from './createDemoServer.ts';

const servers: DemoServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(options: Parameters<typeof createDemoServer>[0] = {}) {
  const server = createDemoServer(options);
  servers.push(server);
  const url = await server.listen();
  const post = (body: unknown, key: string | null = 'k1') =>
    fetch(`${url}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key === null ? {} : { 'idempotency-key': key }) },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  return { server, url, post };
}

describe('reference server', () => {
  it('applies a message once per Idempotency-Key and replays the stored response', async () => {
    const { server, post } = await start();
    const first = await post({ id: 'm1', text: 'hello' });
    expect(first.status).toBe(201);
    const again = await post({ id: 'm1', text: 'hello' });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual(await first.json());
    expect(server.log.entries).toHaveLength(1);
    expect(server.wire.map((w) => w.replayed)).toEqual([false, true]);
  });

  it('answers 422 for the same key with a different payload, 400 without a key or with bad bodies', async () => {
    const { post } = await start();
    await post({ text: 'a' });
    expect((await post({ text: 'b' })).status).toBe(422);
    expect((await post({ text: 'x' }, null)).status).toBe(400);
    expect((await post('not json', 'k2')).status).toBe(400);
    expect((await post({ text: '' }, 'k3')).status).toBe(400);
    expect((await post({ text: 'x'.repeat(70_000) }, 'k4')).status).toBe(413);
  });

  it('answers 409 to a repeat that arrives while the first request with its key is still being processed', async () => {
    const { server, post } = await start();
    server.setFaults({ latencyMs: 200 });
    const statuses = await Promise.all([post({ text: 'same' }, 'race'), post({ text: 'same' }, 'race')].map((p) => p.then((r) => r.status)));
    expect(statuses.sort()).toEqual([201, 409]);
    expect(server.log.entries).toHaveLength(1);
  });

  it('injected failures and poison take no effect and free the key for a later retry', async () => {
    const { server, post } = await start({ random: () => 0 });
    server.setFaults({ failureRate: 1 });
    expect((await post({ text: 'hi' }, 'a')).status).toBe(503);
    server.setFaults({ failureRate: 0, rateLimitRate: 1, retryAfterS: 7 });
    const limited = await post({ text: 'hi' }, 'a');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    server.setFaults({ rateLimitRate: 0, poison: 'SPAM' });
    const poisoned = await post({ text: 'buy spam now' }, 'p');
    expect(poisoned.status).toBe(422);
    expect((await poisoned.json()).error).toMatch(/spam/i);
    expect(server.log.entries).toHaveLength(0);
    server.setFaults({ poison: '' });
    expect((await post({ text: 'hi' }, 'a')).status).toBe(201);
    expect((await post({ text: 'buy spam now' }, 'p')).status).toBe(201);
    expect(server.log.entries).toHaveLength(2);
  });

  it('keeps messages and keys in its file across a restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-server-'));
    const dataFile = join(dir, 'messages.jsonl');
    const one = await start({ dataFile });
    await one.post({ text: 'persisted' }, 'key-1');
    await one.server.close();
    servers.length = 0;
    const two = await start({ dataFile });
    expect(two.server.log.entries.map((e) => e.message.text)).toEqual(['persisted']);
    const replay = await two.post({ text: 'persisted' }, 'key-1');
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(((await replay.json()) as { message: { seq: number } }).message.seq).toBe(1);
    expect((await two.post({ text: 'next' }, 'key-2')).status).toBe(201);
    expect(two.server.log.entries.map((e) => e.message.seq)).toEqual([1, 2]);
    await rm(dir, { recursive: true });
  });

  it('rejects bad fault settings and serves only files inside its static dir', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-static-'));
    await mkdir(join(dir, 'page'));
    await writeFile(join(dir, 'page', 'index.html'), '<h1>chat</h1>');
    await writeFile(join(dir, 'secret.txt'), 'secret');
    const { url } = await start({ staticDir: join(dir, 'page') });
    expect(await (await fetch(`${url}/`)).text()).toBe('<h1>chat</h1>');
    expect((await fetch(`${url}/../secret.txt`)).status).toBe(404);
    expect((await fetch(`${url}/%2e%2e/secret.txt`)).status).toBe(404);
    const bad = await fetch(`${url}/api/faults`, { method: 'PUT', body: JSON.stringify({ failureRate: 2 }) });
    expect(bad.status).toBe(400);
    const unknown = await fetch(`${url}/api/faults`, { method: 'PUT', body: JSON.stringify({ explode: 1 }) });
    expect(unknown.status).toBe(400);
    await rm(dir, { recursive: true });
  });
});
