import { describe, expect, it } from 'vitest';
import type { AppHandler } from './Idempotency.ts';
import { useDatabases } from './testing/databases.ts';
import { counting, json, layerOver, post, problemOf } from './testSupport.ts';

for (const db of useDatabases()) {
  describe(`Idempotency over ${db.name}`, () => {
    const layer = layerOver(db);

    it('applies once per key and replays the stored status, body and headers with Idempotent-Replayed', async () => {
      const { idem, store } = await layer();
      const h = counting((n) => json(201, { id: 'm1', n }, { 'set-cookie': 'seen=1', 'x-app': 'yes' }));
      const first = await idem.handle(post({ text: 'hi' }), h.handler);
      expect(first.status).toBe(201);
      expect(first.headers.get('idempotent-replayed')).toBeNull();
      const firstBody = await first.text();
      const again = await idem.handle(post({ text: 'hi' }), h.handler);
      expect(again.status).toBe(201);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.headers.get('x-app')).toBe('yes');
      expect(again.headers.getSetCookie()).toEqual(['seen=1']);
      expect(await again.text()).toBe(firstBody);
      expect(h.calls()).toBe(1);
      await store.close();
    });

    it('the same payload with its keys in another order is the same request; another payload is 422', async () => {
      const { idem, store } = await layer();
      const h = counting();
      await idem.handle(post({ a: 1, b: 2 }), h.handler);
      expect((await idem.handle(post('{"b":2,"a":1}'), h.handler)).headers.get('idempotent-replayed')).toBe('true');
      expect(await problemOf(await idem.handle(post({ a: 1, b: 3 }), h.handler))).toEqual({
        status: 422,
        code: 'idempotency-key-reused',
        type: 'application/problem+json',
      });
      expect((await idem.handle(post({ a: 1, b: 2 }, 'k1', {}, '/api/other'), h.handler)).status).toBe(422);
      expect(h.calls()).toBe(1);
      await store.close();
    });

    it('concurrent duplicates: applied once; while the first runs the others get 409 with Retry-After', async () => {
      const { idem, store } = await layer({ leaseMs: 5_000, inProgressRetryAfterS: 3 });
      // A race of ten: one effect, whatever the interleaving.
      const race = counting(async (n) => (await new Promise((r) => setTimeout(r, 50)), json(201, { n })));
      const raced = await Promise.all(
        Array.from({ length: 10 }, () => idem.handle(post({ text: 'race' }, 'race'), race.handler)),
      );
      expect(race.calls()).toBe(1);
      expect(raced.filter((r) => r.status === 201 && !r.headers.get('idempotent-replayed'))).toHaveLength(1);
      for (const r of raced) expect([201, 409]).toContain(r.status);
      // Held inside its handler: every duplicate meanwhile is told to come back.
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let entered!: () => void;
      const inside = new Promise<void>((r) => (entered = r));
      const h = counting(async (n) => (entered(), await held, json(201, { n })));
      const first = idem.handle(post({ text: 'same' }), h.handler);
      await inside;
      const conflicts = await Promise.all(
        Array.from({ length: 9 }, () => idem.handle(post({ text: 'same' }), h.handler)),
      );
      for (const c of conflicts) {
        expect(c.status).toBe(409);
        expect(c.headers.get('retry-after')).toBe('3');
        expect((await problemOf(c)).code).toBe('idempotency-key-in-use');
      }
      release();
      expect((await first).status).toBe(201);
      expect((await idem.handle(post({ text: 'same' }), h.handler)).headers.get('idempotent-replayed')).toBe('true');
      expect(h.calls()).toBe(1);
      await store.close();
    });

    it('5xx is never stored: the key is free for the retry; a handler that throws answers a 500 problem', async () => {
      const { idem, store } = await layer({ shouldStore: () => true });
      const h = counting((n) =>
        n === 1 ? json(503, { error: 'busy' }) : n === 2 ? Promise.reject(new Error('bug')) : json(201, { n }),
      );
      expect((await idem.handle(post({ t: 1 }), h.handler)).status).toBe(503);
      expect(await problemOf(await idem.handle(post({ t: 1 }), h.handler))).toMatchObject({
        status: 500,
        code: 'handler-failed',
      });
      const third = await idem.handle(post({ t: 1 }), h.handler);
      expect(third.status).toBe(201);
      expect(third.headers.get('idempotent-replayed')).toBeNull();
      expect(h.calls()).toBe(3);
      await store.close();
    });

    it('4xx answers are stored and replayed, except the ones that mean "try again" (429)', async () => {
      const { idem, store } = await layer();
      const h = counting((n) =>
        n === 1 ? json(400, { error: 'text missing' }) : json(429, {}, { 'retry-after': '3' }),
      );
      expect((await idem.handle(post({}), h.handler)).status).toBe(400);
      const replayed = await idem.handle(post({}), h.handler);
      expect([replayed.status, replayed.headers.get('idempotent-replayed')]).toEqual([400, 'true']);
      expect((await idem.handle(post({}, 'k2'), h.handler)).status).toBe(429);
      expect((await idem.handle(post({}, 'k2'), h.handler)).status).toBe(429);
      expect(h.calls()).toBe(3);
      await store.close();
    });

    it('a route that requires a key answers 400 without one; GET passes through unkeyed', async () => {
      const { idem, store } = await layer();
      const h = counting(() => json(200, {}));
      expect(await problemOf(await idem.handle(post({ t: 1 }, null), h.handler))).toMatchObject({
        status: 400,
        code: 'idempotency-key-missing',
      });
      expect((await idem.handle(new Request('http://app.test/api/messages'), h.handler)).status).toBe(200);
      expect(h.calls()).toBe(1);
      await store.close();
    });

    it('keys are scoped by the app: one key for two users is two effects; no scope is 401', async () => {
      const { idem, store } = await layer({ scope: (req) => req.headers.get('x-verified-user') });
      const h = counting();
      expect((await idem.handle(post({ t: 1 }, 'k', { 'x-verified-user': 'alice' }), h.handler)).status).toBe(201);
      const bob = await idem.handle(post({ t: 1 }, 'k', { 'x-verified-user': 'bob' }), h.handler);
      expect([bob.status, bob.headers.get('idempotent-replayed')]).toEqual([201, null]);
      expect(await problemOf(await idem.handle(post({ t: 1 }, 'k'), h.handler))).toMatchObject({
        status: 401,
        code: 'scope-missing',
      });
      expect(h.calls()).toBe(2);
      await store.close();
    });

    it('outside the database, an unfinished request holds its key for its lease; the resend applies once', async () => {
      const { idem, store, warnings } = await layer({
        effects: 'outside-database',
        leaseMs: 400,
        inProgressRetryAfterS: 60,
      });
      let release!: () => void;
      const stuck = new Promise<void>((r) => (release = r));
      const h = counting(async (n) => {
        if (n === 1) await stuck;
        return json(201, { n });
      });
      const first = idem.handle(post({ t: 1 }), h.handler);
      await new Promise((r) => setTimeout(r, 50));
      // Retry-After is what is left of the lease, in whole seconds, at least 1.
      expect((await idem.handle(post({ t: 1 }), h.handler)).headers.get('retry-after')).toBe('1');
      await new Promise((r) => setTimeout(r, 450));
      const resend = await idem.handle(post({ t: 1 }), h.handler);
      expect(await resend.json()).toEqual({ n: 2 });
      expect((await idem.handle(post({ t: 1 }), h.handler)).headers.get('idempotent-replayed')).toBe('true');
      // The stuck one finishes late: it gets its answer, cannot store it, and the app hears why.
      release();
      expect((await first).status).toBe(201);
      expect(warnings.join()).toMatch(/lease ran out/);
      expect(await (await idem.handle(post({ t: 1 }), h.handler)).json()).toEqual({ n: 2 });
      await store.close();
    });

    it('in the transaction (the default), a request slower than its lease keeps its key: resend 409', async () => {
      const { idem, store } = await layer({ leaseMs: 200 });
      let release!: () => void;
      const slow = new Promise<void>((r) => (release = r));
      let entered!: () => void;
      const inside = new Promise<void>((r) => (entered = r));
      const h = counting(async (n) => (entered(), await slow, json(201, { n })));
      const first = idem.handle(post({ t: 1 }), h.handler);
      await inside;
      await new Promise((r) => setTimeout(r, 300));
      const resend = await idem.handle(post({ t: 1 }), h.handler);
      expect([resend.status, resend.headers.get('retry-after')]).toEqual([409, '1']);
      release();
      expect(await (await first).json()).toEqual({ n: 1 });
      expect(await (await idem.handle(post({ t: 1 }), h.handler)).json()).toEqual({ n: 1 });
      expect(h.calls()).toBe(1);
      await store.close();
    });

    it('in the transaction, the effect commits with the stored answer, rolls back with an unstored one', async () => {
      const { idem, store } = await layer();
      const table = db.table('messages');
      await db.sql().query(`CREATE TABLE ${table} (text text)`);
      const count = async () =>
        Number((await db.sql().query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]?.n);
      let fail: number | 'throw' | null = 503;
      const handler: AppHandler = async (req, ctx) => {
        if (!ctx.sql) throw new Error('no transaction');
        const { text } = (await req.json()) as { text: string };
        await ctx.sql.query(`INSERT INTO ${table} (text) VALUES ($1)`, [text]);
        if (fail === 'throw') throw new Error('after the write');
        return fail === null ? json(201, { text }) : json(fail, {});
      };
      expect((await idem.handle(post({ text: 'a' }), handler)).status).toBe(503);
      fail = 429;
      expect((await idem.handle(post({ text: 'a' }), handler)).status).toBe(429);
      fail = 'throw';
      expect((await idem.handle(post({ text: 'a' }), handler)).status).toBe(500);
      expect(await count()).toBe(0);
      fail = null;
      expect((await idem.handle(post({ text: 'a' }), handler)).status).toBe(201);
      expect((await idem.handle(post({ text: 'a' }), handler)).headers.get('idempotent-replayed')).toBe('true');
      expect(await count()).toBe(1);
      await store.close();
    });

    it('a quoted Structured Field key is the same key as its bare form', async () => {
      const { idem, store } = await layer();
      const h = counting();
      await idem.handle(post({ t: 1 }, 'abc-1'), h.handler);
      expect((await idem.handle(post({ t: 1 }, '"abc-1"'), h.handler)).headers.get('idempotent-replayed')).toBe('true');
      expect(h.calls()).toBe(1);
      await store.close();
    });
  });
}
