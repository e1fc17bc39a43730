/**
 * One suite for every IdempotencyStore: PgliteStore, PgStore and
 * MemoryStore run it (stores.test.ts). It checks the rules the layer relies on: one winner
 * per key, leases, fingerprints, scopes, expiry, and the transaction that
 * settles a key together with the app's own writes.
 */
import { describe, expect, it } from 'vitest';
import type { ClaimInput, IdempotencyStore, Sql, StoredAnswer } from '../IdempotencyStore.ts';

export interface StoreHarness {
  /** A fresh, empty store (its own table). */
  store: IdempotencyStore;
  /**
   * Runs SQL outside the store, on the same database (for the app table the
   * tests write to). Omitted for a store without a database (MemoryStore):
   * the tests of the app's writes inside `settle` are skipped.
   */
  sql?: Sql;
}

const answer = (status: number, text: string): StoredAnswer => ({
  status,
  headers: [
    ['content-type', 'application/json'],
    ['set-cookie', 'a=1'],
    ['set-cookie', 'b=2'],
  ],
  body: new TextEncoder().encode(text),
});

const claimOf = (over: Partial<ClaimInput> = {}): ClaimInput => ({
  scope: 'u1',
  key: 'k1',
  fingerprint: 'fp',
  now: 1_000,
  leaseMs: 100,
  expiresMs: 10_000,
  ...over,
});

/**
 * @param name shown in the test titles
 * @param open gives a harness over a fresh table for each test; the suite closes its store
 * @param options `sql: false` for a store without a database (its `settle` work cannot write app data)
 */
export function storeConformance(
  name: string,
  open: () => Promise<StoreHarness>,
  options: { sql?: boolean } = {},
): void {
  describe(`IdempotencyStore conformance: ${name}`, () => {
    async function setup() {
      const h = await open();
      const table = `app_${Math.random().toString(36).slice(2, 10)}`;
      const sql = h.sql;
      if (sql) await sql.query(`CREATE TABLE ${table} (v text)`);
      const count = async () =>
        Number((await (sql as Sql).query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]?.n);
      return { ...h, table, count };
    }
    const withWrites = options.sql !== false;
    const withSql = withWrites ? it : it.skip;

    it('the first claim wins; a repeat sees it running, with its fingerprint and lease', async () => {
      const { store } = await setup();
      const first = await store.claim(claimOf());
      expect(first).toMatchObject({ kind: 'claimed', leaseUntil: 1_100, ref: { scope: 'u1', key: 'k1' } });
      expect(await store.claim(claimOf({ now: 1_050 }))).toEqual({
        kind: 'running',
        fingerprint: 'fp',
        leaseUntil: 1_100,
      });
      expect(await store.claim(claimOf({ now: 1_050, fingerprint: 'other' }))).toEqual({
        kind: 'running',
        fingerprint: 'fp',
        leaseUntil: 1_100,
      });
      await store.close();
    });

    it('of 20 concurrent claims of one key exactly one wins', async () => {
      const { store } = await setup();
      const results = await Promise.all(Array.from({ length: 20 }, () => store.claim(claimOf())));
      expect(results.filter((r) => r.kind === 'claimed')).toHaveLength(1);
      expect(results.filter((r) => r.kind === 'running')).toHaveLength(19);
      await store.close();
    });

    it('keys are scoped: the same key for two users is two claims', async () => {
      const { store } = await setup();
      expect((await store.claim(claimOf({ scope: 'alice' }))).kind).toBe('claimed');
      expect((await store.claim(claimOf({ scope: 'bob' }))).kind).toBe('claimed');
      await store.close();
    });

    it('a settled key replays its answer byte for byte, headers in order', async () => {
      const { store } = await setup();
      const c = await store.claim(claimOf());
      if (c.kind !== 'claimed') throw new Error('not claimed');
      const a = answer(201, '{"id":"m1","text":"héllo"}');
      expect(await store.settle(c.ref, async () => ({ value: 'v', answer: a }))).toEqual({ ok: true, value: 'v' });
      const again = await store.claim(claimOf({ now: 5_000 }));
      expect(again).toEqual({ kind: 'done', fingerprint: 'fp', answer: a });
      // A done key is not taken over when the lease time passes, only when it expires.
      expect((await store.claim(claimOf({ now: 10_999 }))).kind).toBe('done');
      await store.close();
    });

    it('complete stores the answer under a held claim only', async () => {
      const { store } = await setup();
      const c = await store.claim(claimOf());
      if (c.kind !== 'claimed') throw new Error('not claimed');
      const a = answer(200, 'done');
      expect(await store.complete({ ...c.ref, token: 'someone-else' }, a)).toBe(false);
      expect((await store.claim(claimOf())).kind).toBe('running');
      expect(await store.complete(c.ref, a)).toBe(true);
      expect(await store.claim(claimOf({ now: 5_000 }))).toEqual({ kind: 'done', fingerprint: 'fp', answer: a });
      // Done is done: a second complete (or one after the lease passed to another claim) stores nothing.
      expect(await store.complete(c.ref, answer(201, 'again'))).toBe(false);
      const lapsed = await store.claim(claimOf({ key: 'k2' }));
      if (lapsed.kind !== 'claimed') throw new Error('not claimed');
      const taker = await store.claim(claimOf({ key: 'k2', now: 1_100 }));
      expect(taker.kind).toBe('claimed');
      expect(await store.complete(lapsed.ref, a)).toBe(false);
      expect((await store.inspect('u1', 'k2'))?.state).toBe('running');
      await store.close();
    });

    it('release frees the key for the next claim; a stale ref releases nothing', async () => {
      const { store } = await setup();
      const c = await store.claim(claimOf());
      if (c.kind !== 'claimed') throw new Error('not claimed');
      await store.release({ ...c.ref, token: 'someone-else' });
      expect((await store.claim(claimOf())).kind).toBe('running');
      await store.release(c.ref);
      expect((await store.claim(claimOf())).kind).toBe('claimed');
      await store.close();
    });

    it('an expired lease can be claimed again with the same fingerprint, not with another', async () => {
      const { store } = await setup();
      const crashed = await store.claim(claimOf());
      expect(crashed.kind).toBe('claimed');
      expect(await store.claim(claimOf({ now: 1_100, fingerprint: 'other' }))).toMatchObject({
        kind: 'running',
        fingerprint: 'fp',
      });
      const again = await store.claim(claimOf({ now: 1_100 }));
      expect(again).toMatchObject({ kind: 'claimed', leaseUntil: 1_200 });
      // The crashed request's claim is gone: it can no longer settle.
      if (crashed.kind !== 'claimed') throw new Error('not claimed');
      let ran = false;
      expect(
        await store.settle(crashed.ref, async () => ((ran = true), { value: 1, answer: answer(201, 'x') })),
      ).toEqual({ ok: false, reason: 'lost' });
      expect(ran).toBe(false);
      await store.close();
    });

    withSql("the work's writes commit with the stored answer", async () => {
      const { store, table, count } = await setup();
      const c = await store.claim(claimOf());
      if (c.kind !== 'claimed') throw new Error('not claimed');
      await store.settle(c.ref, async (sql) => {
        await sql.query(`INSERT INTO ${table} (v) VALUES ($1)`, ['effect']);
        return { value: null, answer: answer(201, 'ok') };
      });
      expect(await count()).toBe(1);
      expect((await store.inspect('u1', 'k1'))?.state).toBe('done');
      await store.close();
    });

    it('a rollback undoes the writes and releases the key; a throw does too and is rethrown', async () => {
      const { store, table, count } = await setup();
      const write = (sql: Sql) =>
        withWrites ? sql.query(`INSERT INTO ${table} (v) VALUES ('undone')`) : Promise.resolve();
      const c = await store.claim(claimOf());
      if (c.kind !== 'claimed') throw new Error('not claimed');
      const rolled = await store.settle(c.ref, async (sql) => {
        await write(sql);
        return { value: 503, answer: answer(503, 'not kept'), rollback: true };
      });
      expect(rolled).toEqual({ ok: true, value: 503 });
      if (withWrites) expect(await count()).toBe(0);
      expect(await store.inspect('u1', 'k1')).toBeNull();
      const d = await store.claim(claimOf());
      if (d.kind !== 'claimed') throw new Error('not claimed');
      await expect(
        store.settle(d.ref, async (sql) => {
          await write(sql);
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      if (withWrites) expect(await count()).toBe(0);
      expect((await store.claim(claimOf())).kind).toBe('claimed');
      await store.close();
    });

    it('a claim that would take over a key waits for the transaction settling it, then sees the answer', async () => {
      const { store } = await setup();
      const c = await store.claim(claimOf());
      if (c.kind !== 'claimed') throw new Error('not claimed');
      let open!: () => void;
      const gate = new Promise<void>((r) => (open = r));
      let entered!: () => void;
      const inside = new Promise<void>((r) => (entered = r));
      const settling = store.settle(c.ref, async () => {
        entered();
        await gate;
        return { value: null, answer: answer(200, 'first') };
      });
      await inside;
      // Past the lease: without the row lock this claim would take the key over.
      const late = store.claim(claimOf({ now: 2_000 }));
      await new Promise((r) => setTimeout(r, 50));
      open();
      await settling;
      expect(await late).toMatchObject({ kind: 'done', answer: { status: 200 } });
      await store.close();
    });

    it('an expired key is forgotten: claimable with any payload, and purged', async () => {
      const { store } = await setup();
      const c = await store.claim(claimOf());
      if (c.kind !== 'claimed') throw new Error('not claimed');
      await store.settle(c.ref, async () => ({ value: null, answer: answer(201, 'old'), expiresAt: 3_000 }));
      expect((await store.claim(claimOf({ now: 2_999, fingerprint: 'new' }))).kind).toBe('done');
      expect((await store.claim(claimOf({ now: 3_000, fingerprint: 'new' }))).kind).toBe('claimed');
      await store.claim(claimOf({ key: 'k2', now: 1_000 }));
      expect(await store.purge(10_999)).toBe(0);
      expect(await store.purge(11_000)).toBe(1);
      expect(await store.inspect('u1', 'k2')).toBeNull();
      expect(await store.inspect('u1', 'k1')).not.toBeNull();
      await store.close();
    });
  });
}
