/**
 * The host releases session holds: new credentials for the user, `retry` of
 * a held op (which releases its scope instead of throwing), and `syncNow`.
 * Driven through the host's protocol with the real HttpTransport over a fake
 * fetch playing an API whose session expired.
 */
import { credentials } from '../credentials/index.ts';
import type { Operation } from '@ferry/core';
import { FerryError, MemoryStore } from '@ferry/core';
import { describe, expect, it } from 'vitest';
import { FerryHost } from '../FerryHost.ts';
import { testPlatform } from '../testing/index.ts';
import type { Reply } from '@ferry/core/protocol';
import type { FetchLike } from './HttpTransport.ts';

function setup(refuse: (auth: string | null) => Response | undefined) {
  const seen: string[] = [];
  const fetch: FetchLike = async (_url, init) => {
    const auth = new Headers(init.headers).get('authorization');
    const text = (JSON.parse(String(init.body)) as { text: string }).text;
    const refusal = refuse(auth);
    if (!refusal) seen.push(text);
    return refusal ?? new Response(null, { status: 201 });
  };
  const host = new FerryHost({
    storage: { store: async () => new MemoryStore() },
    transport: { fetch, timeoutMs: 300, reachability: false },
    delivery: { leaseMs: 1000 },
    platform: testPlatform(),
    retry: { jitter: false },
    credentials: credentials(),
    logger: { level: 'silent' },
  });
  let n = 0;
  const call = async <T = unknown>(body: Record<string, unknown>): Promise<T> => {
    const replies: Reply[] = [];
    const port = { postMessage: (m: Reply) => void replies.push(m) };
    await host.receive({ ferry: true, v: 1, id: `r${++n}`, ...body }, port);
    const r = replies[0];
    if (!r) throw new Error('no reply');
    if (!r.ok) throw FerryError.from(r.error);
    return r.result as T;
  };
  const enqueue = (text: string, lane: string, user?: string) =>
    call<Operation>({
      type: 'enqueue',
      op: { kind: 'k', target: '/api/x', payload: { text }, lane, ...(user && { user }) },
    });
  const list = () => call<Operation[]>({ type: 'list', query: {} });
  return { host, call, enqueue, list, seen };
}

describe('the host releases session holds', () => {
  it('new credentials release the needs-auth lanes, and the op a first 403 failed comes back', async () => {
    let token = 'old';
    const expired = (): Response => new Response('session expired', { status: 403 });
    const { host, call, enqueue, list, seen } = setup((auth) => (auth === 'Bearer new' ? undefined : expired()));
    const given = (): Record<string, unknown> => ({ headers: { Authorization: `Bearer ${token}` } });
    await call({ type: 'setCredentials', user: 'alice', credentials: given() });
    for (const lane of ['a', 'b']) for (let i = 0; i < 3; i++) await enqueue(`${lane}${i}`, lane, 'alice');
    await host.wake();
    await host.wake();
    const ops = await list();
    expect(ops.filter((o) => o.status === 'failed')).toHaveLength(1);
    expect(ops.filter((o) => o.held?.startsWith('needs-auth')).length).toBeGreaterThanOrEqual(1);
    token = 'new';
    await call({ type: 'setCredentials', user: 'alice', credentials: given() });
    await host.wake();
    expect((await list()).map((o) => o.status)).toEqual(Array(6).fill('done'));
    expect([...seen].sort()).toEqual(['a0', 'a1', 'a2', 'b0', 'b1', 'b2']);
    await host.close();
  });

  it('retry of a held op releases its scope (it does not throw); syncNow releases every scope', async () => {
    let expired = true;
    const login = (): Response => new Response(null, { status: 302 });
    const { host, call, enqueue, list, seen } = setup(() => (expired ? login() : undefined));
    await enqueue('a0', 'a');
    await enqueue('a1', 'a');
    await host.wake();
    const [head] = (await list()).filter((o) => o.held !== undefined);
    expect(head?.held).toMatch(/^needs-auth/);
    expired = false;
    const retried = await call<Operation>({ type: 'retry', opId: head?.id });
    expect(retried).toMatchObject({ id: head?.id, status: 'pending' });
    expect(retried.held).toBeUndefined();
    await host.wake();
    expect(seen).toEqual(['a0', 'a1']);
    expired = true;
    await enqueue('b0', 'b');
    await host.wake();
    expect((await list()).find((o) => o.lane === 'b')?.held).toMatch(/^needs-auth/);
    expired = false;
    await call({ type: 'syncNow' });
    expect(seen).toEqual(['a0', 'a1', 'b0']);
    await host.close();
  });
});
