/**
 * One suite for every IdempotencyStore: PgliteStore, PgStore and
 * MemoryIdempotencyStore run it (stores.test.ts). It checks the rules the layer relies on: one winner
 * per key, leases, fingerprints, scopes, expiry, the transaction that
 * settles a key together with the app's own writes, claims that never wait
 * for it, and the operator's verbs (inspect, list, forget, purge). Leases and
 * expiry run on the store's own clock, so the suite waits real time (about
 * 3 s a store in all).
 */
import { describe, expect, it } from 'vitest';
import type { ClaimInput, ClaimRef, IdempotencyStore, Sql, StoredAnswer } from '../IdempotencyStore.ts';

export interface StoreHarness {
  /** A fresh, empty store (its own table). */
  store: IdempotencyStore;
  /**
   * Runs SQL outside the store, on the same database (for the app table the
   * tests write to). Omitted for a store without a database (MemoryIdempotencyStore):
   * the tests of the app's writes inside `transact` are skipped.
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

/** Leases and expiry in these tests: short, since the store's clock is real. */
const LEASE = 300;
const PAST_LEASE = LEASE + 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const claimOf = (over: Partial<ClaimInput> = {}): ClaimInput => ({
  scope: 'u1',
  key: 'k1',
  fingerprint: 'fp',
  leaseMs: LEASE,
  expiresMs: 60_000,
  ...over,
});

async function claimed(store: IdempotencyStore, over: Partial<ClaimInput> = {}): Promise<ClaimRef> {
  const c = await store.claim(claimOf(over));
  if (c.kind !== 'claimed') throw new Error(`expected to claim ${over.key ?? 'k1'}, got ${c.kind}`);
  return c.ref;
}

/**
 * @param name shown in the test titles
 * @param open gives a harness over a fresh table for each test; the suite closes its store
 * @param options `sql: false` for a store without a database (its `transact` work cannot write app data)
 */
export function idempotencyStoreConformance(
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

    it('the first claim wins; a repeat sees it running, with its fingerprint and the rest of its lease', async () => {
      const { store } = await setup();
      expect(await store.claim(claimOf())).toMatchObject({ kind: 'claimed', ref: { scope: 'u1', key: 'k1' } });
      for (const fingerprint of ['fp', 'other']) {
        const again = await store.claim(claimOf({ fingerprint }));
        expect(again).toMatchObject({ kind: 'running', fingerprint: 'fp' });
        const left = again.kind === 'running' ? again.retryAfterMs : -1;
        expect(left).toBeGreaterThan(0);
        expect(left).toBeLessThanOrEqual(LEASE);
      }
      await store.close();
    });

    it('of 20 concurrent claims of one key exactly one wins', async () => {
      const { store } = await setup();
      // A lease longer than the 20 claims can take on a loaded machine: none of them may find it lapsed.
      const results = await Promise.all(Array.from({ length: 20 }, () => store.claim(claimOf({ leaseMs: 60_000 }))));
      expect(results.filter((r) => r.kind === 'claimed')).toHaveLength(1);
      expect(results.filter((r) => r.kind === 'running')).toHaveLength(19);
      await store.close();
    });

    it('of 10 concurrent transactions of one key exactly one runs its work; the rest see it running or done', async () => {
      const { store } = await setup();
      let runs = 0;
      const results = await Promise.all(
        Array.from({ length: 10 }, () =>
          store.transact(
            claimOf({ leaseMs: 60_000 }),
            async () => (runs++, { value: 'v', answer: answer(201, 'once') }),
          ),
        ),
      );
      expect(runs).toBe(1);
      expect(results.filter((r) => r.kind === 'settled')).toHaveLength(1);
      expect(results.filter((r) => r.kind === 'running' || r.kind === 'done')).toHaveLength(9);
      await store.close();
    });

    it('keys are scoped: the same key for two users is two claims', async () => {
      const { store } = await setup();
      expect((await store.claim(claimOf({ scope: 'alice' }))).kind).toBe('claimed');
      expect((await store.claim(claimOf({ scope: 'bob' }))).kind).toBe('claimed');
      await store.close();
    });

    it('a settled key replays its answer byte for byte, headers in order, after its lease too', async () => {
      const { store } = await setup();
      const a = answer(201, '{"id":"m1","text":"héllo"}');
      expect(await store.transact(claimOf(), async () => ({ value: 'v', answer: a }))).toEqual({
        kind: 'settled',
        value: 'v',
      });
      // A repeat is answered as a claim is, without running its work.
      let ran = false;
      const again = await store.transact(claimOf(), async () => ((ran = true), { value: 'w', answer: a }));
      expect([again, ran]).toEqual([{ kind: 'done', fingerprint: 'fp', answer: a }, false]);
      expect(await store.claim(claimOf())).toEqual({ kind: 'done', fingerprint: 'fp', answer: a });
      // A done key is not taken over when the lease time passes, only when it expires.
      await sleep(PAST_LEASE);
      expect((await store.claim(claimOf())).kind).toBe('done');
      await store.close();
    });

    it('complete stores the answer under a held claim only', async () => {
      const { store } = await setup();
      const ref = await claimed(store);
      const a = answer(200, 'done');
      expect(await store.complete({ ...ref, token: 'someone-else' }, a)).toBe(false);
      expect((await store.claim(claimOf())).kind).toBe('running');
      expect(await store.complete(ref, a)).toBe(true);
      expect(await store.claim(claimOf())).toEqual({ kind: 'done', fingerprint: 'fp', answer: a });
      // Done is done: a second complete (or one after the lease passed to another claim) stores nothing.
      expect(await store.complete(ref, answer(201, 'again'))).toBe(false);
      const lapsed = await claimed(store, { key: 'k2' });
      await sleep(PAST_LEASE);
      await claimed(store, { key: 'k2' });
      expect(await store.complete(lapsed, a)).toBe(false);
      expect((await store.inspect('u1', 'k2'))?.state).toBe('running');
      await store.close();
    });

    it('release frees the key for the next claim; a stale ref releases nothing', async () => {
      const { store } = await setup();
      const ref = await claimed(store);
      await store.release({ ...ref, token: 'someone-else' });
      expect((await store.claim(claimOf())).kind).toBe('running');
      await store.release(ref);
      expect((await store.claim(claimOf())).kind).toBe('claimed');
      await store.close();
    });

    it('a lapsed lease can be claimed again with the same fingerprint, not with another', async () => {
      const { store } = await setup();
      const crashed = await claimed(store);
      await sleep(PAST_LEASE);
      expect(await store.claim(claimOf({ fingerprint: 'other' }))).toMatchObject({
        kind: 'running',
        fingerprint: 'fp',
      });
      expect((await store.claim(claimOf())).kind).toBe('claimed');
      // The crashed request's claim is gone: it can no longer complete, and a transaction of the key,
      // held by the new claim, does not run its work.
      expect(await store.complete(crashed, answer(201, 'x'))).toBe(false);
      let ran = false;
      const held = await store.transact(claimOf(), async () => ((ran = true), { value: 1, answer: answer(201, 'x') }));
      expect([held.kind, ran]).toEqual(['running', false]);
      await store.close();
    });

    withSql("the work's writes commit with the stored answer", async () => {
      const { store, table, count } = await setup();
      await store.transact(claimOf(), async (sql) => {
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
      const rolled = await store.transact(claimOf(), async (sql) => {
        await write(sql);
        return { value: 503, answer: answer(503, 'not kept'), rollback: true };
      });
      expect(rolled).toEqual({ kind: 'settled', value: 503 });
      if (withWrites) expect(await count()).toBe(0);
      expect(await store.inspect('u1', 'k1')).toBeNull();
      await expect(
        store.transact(claimOf(), async (sql) => {
          await write(sql);
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      if (withWrites) expect(await count()).toBe(0);
      expect((await store.claim(claimOf())).kind).toBe('claimed');
      await store.close();
    });

    it('while a transaction settles a key, a claim is answered at once: running, even past the lease', async () => {
      const { store } = await setup();
      let open!: () => void;
      const gate = new Promise<void>((r) => (open = r));
      let entered!: () => void;
      const inside = new Promise<void>((r) => (entered = r));
      const settling = store.transact(claimOf(), async () => {
        entered();
        await gate;
        return { value: null, answer: answer(200, 'first') };
      });
      await inside;
      const t0 = Date.now();
      expect(await store.claim(claimOf())).toMatchObject({ kind: 'running', fingerprint: 'fp' });
      // Past the lease: the open transaction still holds the key, and the claim does not wait for it.
      await sleep(PAST_LEASE);
      const t1 = Date.now();
      expect(await store.claim(claimOf())).toMatchObject({ kind: 'running', retryAfterMs: 0 });
      expect(Math.max(Date.now() - t1, t1 - t0 - PAST_LEASE)).toBeLessThan(250);
      expect(await store.forget('u1', 'k1')).toBe(false);
      // So is a second transaction of the key, without running its work.
      let ran = false;
      const t2 = Date.now();
      const second = await store.transact(claimOf(), async () => ((ran = true), { value: null, answer: null }));
      expect([second.kind, ran]).toEqual(['running', false]);
      expect(Date.now() - t2).toBeLessThan(250);
      open();
      expect(await settling).toEqual({ kind: 'settled', value: null });
      expect(await store.claim(claimOf())).toMatchObject({ kind: 'done', answer: { status: 200 } });
      await store.close();
    });

    it('an expired key is forgotten: claimable with any payload, and purged in bounded batches', async () => {
      const { store } = await setup();
      // Longer than the setup takes on a loaded machine, so the keys are not expired before it ends.
      const expiresMs = 1_000;
      await store.transact(claimOf({ expiresMs }), async () => ({ value: null, answer: answer(201, 'old') }));
      expect((await store.claim(claimOf({ fingerprint: 'new' }))).kind).toBe('done');
      for (const key of ['e1', 'e2', 'e3', 'e4', 'e5']) await claimed(store, { key, expiresMs });
      const last = Date.now();
      await claimed(store, { key: 'kept' });
      await sleep(last + expiresMs + 100 - Date.now());
      expect((await store.claim(claimOf({ fingerprint: 'new' }))).kind).toBe('claimed');
      expect(await store.purge({ batchSize: 2, maxBatches: 2 })).toBe(4);
      expect(await store.purge({ batchSize: 2 })).toBe(1);
      expect(await store.purge()).toBe(0);
      expect((await store.list()).map((r) => r.key)).toEqual(['k1', 'kept']);
      await store.close();
    });

    it('inspect, list (filtered, paged) and forget, as an operator uses them', async () => {
      const { store } = await setup();
      await store.transact(claimOf({ scope: 'alice', key: 'a1' }), async () => ({
        value: null,
        answer: answer(201, 'a1'),
      }));
      await claimed(store, { scope: 'alice', key: 'a2' });
      await claimed(store, { scope: 'bob', key: 'b1' });
      const a1 = await store.inspect('alice', 'a1');
      expect(a1).toMatchObject({ scope: 'alice', key: 'a1', state: 'done', fingerprint: 'fp', status: 201 });
      expect(a1?.answer).toEqual(answer(201, 'a1'));
      expect(a1!.expiresAt).toBeGreaterThan(a1!.leaseUntil);
      expect(Math.abs(a1!.leaseUntil - (Date.now() + LEASE))).toBeLessThan(5_000);
      expect(await store.inspect('alice', 'nope')).toBeNull();
      const keys = (records: { scope: string; key: string }[]) => records.map((r) => `${r.scope}/${r.key}`);
      expect(keys(await store.list())).toEqual(['alice/a1', 'alice/a2', 'bob/b1']);
      expect(keys(await store.list({ scope: 'alice', state: 'running' }))).toEqual(['alice/a2']);
      const page = await store.list({ limit: 2 });
      expect(keys(page)).toEqual(['alice/a1', 'alice/a2']);
      expect(keys(await store.list({ after: page[1]!, limit: 2 }))).toEqual(['bob/b1']);
      expect((await store.list({ state: 'done' }))[0]).toMatchObject({ status: 201 });
      expect(await store.forget('alice', 'a1')).toBe(true);
      expect(await store.forget('alice', 'a1')).toBe(false);
      expect((await store.claim(claimOf({ scope: 'alice', key: 'a1', fingerprint: 'new' }))).kind).toBe('claimed');
      await store.close();
    });
  });
}
