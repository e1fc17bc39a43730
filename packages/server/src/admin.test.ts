/** The operator's routes: list, inspect, forget a key and purge, over each store. */
import { describe, expect, it } from 'vitest';
import { createAdminHandler } from './admin.ts';
import type { AppHandler } from './Idempotency.ts';
import { Idempotency } from './Idempotency.ts';
import type { IdempotencyStore } from './IdempotencyStore.ts';
import { MemoryIdempotencyStore } from './MemoryIdempotencyStore.ts';
import { useDatabases } from './testing/databases.ts';

const post = (user: string, key: string) =>
  new Request('http://app.test/api/messages', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': key, 'x-user': user },
    body: JSON.stringify({ key }),
  });
const admin = (store: IdempotencyStore) => {
  const handle = createAdminHandler({ store });
  return (method: string, path: string) => handle(new Request(`http://ops.test/admin/idempotency${path}`, { method }));
};

const stores: [string, () => Promise<IdempotencyStore>][] = [
  ['memory', async () => new MemoryIdempotencyStore()],
  ...useDatabases().map((db): [string, () => Promise<IdempotencyStore>] => [db.name, () => db.store()]),
];

for (const [name, open] of stores) {
  describe(`admin routes over ${name}`, () => {
    it('lists (filtered, paged), inspects, forgets a key, and purges', async () => {
      const store = await open();
      const layer = new Idempotency({ store, scope: (req) => req.headers.get('x-user'), effects: 'outside-database' });
      let runs = 0;
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let entered!: () => void;
      const inside = new Promise<void>((r) => (entered = r));
      const handler: AppHandler = async (req) => {
        runs++;
        const { key } = (await req.json()) as { key: string };
        if (key === 'slow') {
          entered();
          await held;
        }
        return Response.json({ key }, { status: 201 });
      };
      await layer.handle(post('alice', 'a1'), handler);
      await layer.handle(post('alice', 'a2'), handler);
      await layer.handle(post('bob', 'b1'), handler);
      const slow = layer.handle(post('bob', 'slow'), handler);
      await inside;
      const ops = admin(store);

      const all = (await (await ops('GET', '/keys')).json()) as { keys: { scope: string; key: string }[] };
      expect(all.keys.map((k) => `${k.scope}/${k.key}`)).toEqual(['alice/a1', 'alice/a2', 'bob/b1', 'bob/slow']);
      const page = (await (await ops('GET', '/keys?scope=alice&afterScope=alice&afterKey=a1')).json()) as {
        keys: { key: string }[];
      };
      expect(page.keys.map((k) => k.key)).toEqual(['a2']);
      const running = (await (await ops('GET', '/keys?state=running')).json()) as { keys: { key: string }[] };
      expect(running.keys.map((k) => k.key)).toEqual(['slow']);
      expect((await ops('GET', '/keys?state=gone')).status).toBe(400);

      const one = (await (await ops('GET', '/keys/alice/a1')).json()) as {
        state: string;
        answer: { status: number; body: string };
      };
      expect([one.state, one.answer.status, JSON.parse(one.answer.body)]).toEqual(['done', 201, { key: 'a1' }]);
      expect((await ops('GET', '/keys/alice/nope')).status).toBe(404);

      expect((await ops('DELETE', '/keys/alice/a1')).status).toBe(204);
      expect((await ops('DELETE', '/keys/alice/a1')).status).toBe(404);
      // Forgotten: its next request runs anew.
      expect((await layer.handle(post('alice', 'a1'), handler)).headers.get('idempotent-replayed')).toBeNull();
      expect(runs).toBe(5);

      release();
      await slow;
      const purged = (await (await ops('POST', '/purge?batchSize=2')).json()) as { purged: number };
      expect(purged).toEqual({ purged: 0 });
      expect((await ops('PUT', '/keys')).status).toBe(405);
      expect((await ops('GET', '/elsewhere')).status).toBe(404);
      await store.close();
    });

    it('refuses to forget a key whose transaction is open (409), and forgets it once it committed', async () => {
      const store = await open();
      const layer = new Idempotency({ store, singleScope: 'ops' });
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let entered!: () => void;
      const inside = new Promise<void>((r) => (entered = r));
      const first = layer.handle(post('x', 'k1'), async () => {
        entered();
        await held;
        return new Response('ok', { status: 201 });
      });
      await inside;
      const ops = admin(store);
      // PGlite has one connection: its admin answer waits for the open transaction, then says 409 all the same.
      const refused = ops('DELETE', '/keys/ops/k1');
      await Promise.race([refused, new Promise((r) => setTimeout(r, 300))]);
      release();
      expect((await refused).status).toBe(409);
      expect((await first).status).toBe(201);
      expect((await ops('DELETE', '/keys/ops/k1')).status).toBe(204);
      await store.close();
    });
  });
}
