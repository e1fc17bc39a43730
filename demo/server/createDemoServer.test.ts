import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DemoServerOptions } from './createDemoServer.ts';
import { useDemoServers } from './testServers.ts';

const demoServer = useDemoServers();

async function start(options: DemoServerOptions = {}) {
  const server = demoServer(options);
  const url = await server.listen();
  const post = (body: unknown, key: string | null = 'k1') =>
    fetch(`${url}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key === null ? {} : { 'idempotency-key': key }) },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const batch = (ops: unknown) =>
    fetch(`${url}/api/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof ops === 'string' ? ops : JSON.stringify({ ops }),
    });
  return { server, url, post, batch };
}

const item = (key: string, text: string, extra: Record<string, unknown> = {}) => ({
  id: key,
  kind: 'message.send',
  target: '/api/messages',
  method: 'POST',
  idempotencyKey: key,
  payload: { text, conversation: 'c1' },
  ...extra,
});

describe('reference server', () => {
  it('applies a message once per Idempotency-Key and replays the stored response', async () => {
    const { server, post } = await start();
    const first = await post({ id: 'm1', text: 'hello' });
    expect(first.status).toBe(201);
    const again = await post({ id: 'm1', text: 'hello' });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual(await first.json());
    expect(await server.messages()).toHaveLength(1);
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

  it('applies two copies of one request that arrive together once: the other is a replay, or a 409 while the first runs', async () => {
    const { server, post } = await start();
    server.setFaults({ latencyMs: 200 });
    const answers = await Promise.all(
      [post({ text: 'same' }, 'race'), post({ text: 'same' }, 'race')].map((p) =>
        p.then((r) => `${r.status}${r.headers.get('idempotent-replayed') === 'true' ? ' replayed' : ''}`),
      ),
    );
    expect([
      ['201', '201 replayed'],
      ['201', '409'],
    ]).toContainEqual(answers.sort());
    expect(await server.messages()).toHaveLength(1);
    expect(server.wire.filter((w) => w.status === 201 && !w.replayed)).toHaveLength(1);
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
    expect(await server.messages()).toHaveLength(0);
    server.setFaults({ poison: '' });
    expect((await post({ text: 'hi' }, 'a')).status).toBe(201);
    expect((await post({ text: 'buy spam now' }, 'p')).status).toBe(201);
    expect(await server.messages()).toHaveLength(2);
  });

  // Two on-disk databases opened one after the other: PGlite takes 4–17 s to create one on this kind of machine.
  it('keeps messages and keys in its database across a restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-server-'));
    const dataDir = join(dir, 'db');
    const one = await start({ dataDir });
    await one.post({ text: 'persisted' }, 'key-1');
    await one.server.close();
    const two = await start({ dataDir });
    expect((await two.server.messages()).map((e) => e.message.text)).toEqual(['persisted']);
    const replay = await two.post({ text: 'persisted' }, 'key-1');
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(((await replay.json()) as { message: { seq: number } }).message.seq).toBe(1);
    expect((await two.post({ text: 'next' }, 'key-2')).status).toBe(201);
    expect((await two.server.messages()).map((e) => e.message.seq)).toEqual([1, 2]);
    await rm(dir, { recursive: true });
  }, 120_000);

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

  describe('batch', () => {
    it('applies the items in order, each once per key, as if each came alone', async () => {
      const { server, post, batch } = await start();
      const res = await batch([item('b1', 'one'), item('b2', 'two'), item('b3', 'three')]);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({
        results: [
          { status: 201, body: { message: expect.objectContaining({ seq: expect.any(Number) }) } },
          { status: 201, body: { message: expect.objectContaining({ seq: expect.any(Number) }) } },
          { status: 201, body: { message: expect.objectContaining({ seq: expect.any(Number) }) } },
        ],
      });
      expect((await server.messages()).map((e) => [e.key, e.message.text])).toEqual([
        ['b1', 'one'],
        ['b2', 'two'],
        ['b3', 'three'],
      ]);
      // The same op sent alone later (or in another batch) is a replay, not a new message nor a mismatch.
      const alone = await post({ text: 'two', conversation: 'c1' }, 'b2');
      expect(alone.headers.get('idempotent-replayed')).toBe('true');
      expect(await (await batch([item('b3', 'three'), item('b4', 'four')])).json()).toEqual({
        results: [
          { status: 201, body: { message: expect.objectContaining({ seq: expect.any(Number) }) } },
          { status: 201, body: { message: expect.objectContaining({ seq: expect.any(Number) }) } },
        ],
      });
      expect(await server.messages()).toHaveLength(4);
      expect(server.wire.map((w) => [w.key, w.replayed, w.batched === true])).toEqual([
        ['b1', false, true],
        ['b2', false, true],
        ['b3', false, true],
        ['b2', true, false],
        ['b3', true, true],
        ['b4', false, true],
      ]);
    });

    it('stops at the first failure: the items behind it get no result and take no effect', async () => {
      const { server, batch } = await start({ random: () => 0.5 });
      server.setFaults({ poison: 'spam' });
      const poisoned = await (await batch([item('p1', 'fine'), item('p2', 'spam'), item('p3', 'after')])).json();
      expect(poisoned).toEqual({
        results: [
          { status: 201, body: { message: expect.objectContaining({ seq: expect.any(Number) }) } },
          {
            status: 422,
            error: 'message rejected: it contains "spam"',
            body: { error: 'message rejected: it contains "spam"' },
          },
        ],
      });
      expect((await server.messages()).map((e) => e.key)).toEqual(['p1']);
      server.setFaults({ poison: '', rateLimitRate: 1, retryAfterS: 4 });
      expect(await (await batch([item('p3', 'after')])).json()).toEqual({
        results: [{ status: 429, error: 'slow down', retryAfter: '4', body: { error: 'slow down' } }],
      });
      server.setFaults({ rateLimitRate: 0 });
      const other = await (
        await batch([item('p3', 'after'), item('p4', 'x', { target: '/api/other' }), item('p5', 'y')])
      ).json();
      expect(other).toEqual({
        results: [
          { status: 201, body: { message: expect.objectContaining({ seq: expect.any(Number) }) } },
          { status: 404, error: 'no route POST /api/other', body: { error: 'no route POST /api/other' } },
        ],
      });
      expect((await server.messages()).map((e) => e.key)).toEqual(['p1', 'p3']);
    });

    it('refuses a malformed batch as a whole; drops the connection during an outage', async () => {
      const { server, batch } = await start();
      expect((await batch('not json')).status).toBe(400);
      expect((await batch([])).status).toBe(400);
      expect((await batch(Array.from({ length: 101 }, (_, i) => item(`k${i}`, 'x')))).status).toBe(400);
      expect(await (await batch([{ ...item('', 'x') }])).json()).toEqual({
        results: [{ status: 400, error: 'an Idempotency-Key is required' }],
      });
      server.setFaults({ offline: true });
      await expect(batch([item('o1', 'x')])).rejects.toThrow();
      expect(await server.messages()).toHaveLength(0);
    });
  });
});

describe('reference server: sign-in', () => {
  it('takes the author from a verified token, refuses a forged one, and keeps anonymous messages anonymous', async () => {
    const { url } = await start();
    const login = (user: string) =>
      fetch(`${url}/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user }),
      });
    expect((await login('mallory')).status).toBe(400);
    const { token, expiresAt } = (await (await login('alice')).json()) as { token: string; expiresAt: number };
    expect(expiresAt).toBeGreaterThan(Date.now());
    const post = (key: string, auth: string | undefined, body: unknown) =>
      fetch(`${url}/api/messages`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': key,
          ...(auth && { authorization: `Bearer ${auth}` }),
        },
        body: JSON.stringify(body),
      });
    // The payload claims bob; the token says alice: the token wins.
    expect((await post('a1', token, { text: 'hi', author: 'bob' })).status).toBe(201);
    const [user, exp, mac] = token.split('.');
    expect((await post('a2', `bob.${exp}.${mac}`, { text: 'forged' })).status).toBe(401);
    expect((await post('a3', `${user}.${Number(exp) + 1}.${mac}`, { text: 'tampered' })).status).toBe(401);
    expect((await post('a4', undefined, { text: 'anon' })).status).toBe(201);
    const { messages } = (await (await fetch(`${url}/api/messages`)).json()) as {
      messages: { text: string; author: string | null }[];
    };
    expect(messages.map((m) => [m.text, m.author])).toEqual([
      ['hi', 'alice'],
      ['anon', null],
    ]);
  });
});
