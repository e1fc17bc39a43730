/**
 * The credentials feature is opt-in: a host built without it answers what only it serves (a user's sign-in,
 * credentials and sign-out, an op stamped with a user) with `unsupported` naming the entry to add, and stores
 * nothing; built with it, the same requests are served.
 */
import { describe, expect, it } from 'vitest';
import { host, op, port } from '../host.testSupport.ts';
import { credentials } from './index.ts';

const requests = [
  { type: 'signIn', user: 'alice' },
  { type: 'setCredentials', user: 'alice', credentials: { headers: { Authorization: 'Bearer a' } } },
  { type: 'signOut', user: 'alice', discard: false },
  { type: 'enqueue', op: { ...op, user: 'alice' } },
];

async function ask(h: ReturnType<typeof host>['h'], body: Record<string, unknown>) {
  const p = port();
  await h.receive({ v: 1, id: 'r', ...body }, p);
  return p.replies[0];
}

describe('the credentials feature, opted into or not', () => {
  it.each(requests)('without it, $type is unsupported and names @ferry/sw/credentials', async (body) => {
    const { h, store, transport } = host();
    const reply = await ask(h, body);
    expect(reply).toMatchObject({ ok: false, error: { code: 'unsupported' } });
    expect((reply as { error: { message: string } }).error.message).toContain(
      "credentials() from '@ferry/sw/credentials'",
    );
    expect(await store.transaction('readonly', (tx) => tx.listOps({}))).toEqual([]);
    expect(await store.transaction('readonly', (tx) => tx.getMeta('user-sessions'))).toBeUndefined();
    expect(transport.sent).toHaveLength(0);
    await h.close();
  });

  it('without it, an enqueueBatch refuses the ops with a user one by one and takes the others', async () => {
    const { h } = host();
    const reply = await ask(h, { type: 'enqueueBatch', ops: [op, { ...op, user: 'alice' }] });
    const [kept, refused] = (reply as { result: unknown[] }).result;
    expect(typeof kept).toBe('string');
    expect(refused).toMatchObject({ code: 'unsupported' });
    await h.close();
  });

  it.each(requests)('with it, $type is served', async (body) => {
    const { h } = host({ credentials: credentials() });
    expect(await ask(h, body)).toMatchObject({ ok: true });
    await h.close();
  });
});
