/**
 * Duplicates of a running request on real Postgres: answered 409 at once, never waiting on the key's row
 * lock nor holding a pooled connection while waiting, also with the app's pool shared through
 * `PgStore({ pool })`; instances whose clocks disagree still run a key once; no silent global scope.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { FerryServerError } from './FerryServerError.ts';
import type { AppHandler } from './Idempotency.ts';
import { Idempotency } from './Idempotency.ts';
import { MemoryIdempotencyStore } from './MemoryIdempotencyStore.ts';
import { PgStore } from './PgStore.ts';
import type { TestPostgres } from './testing/postgres.ts';
import { startPostgres } from './testing/postgres.ts';

let postgres: TestPostgres;
let admin: pg.Pool;
beforeAll(async () => {
  postgres = await startPostgres();
  admin = new pg.Pool({ connectionString: postgres.url });
}, 120_000);
afterAll(async () => {
  await admin?.end();
  await postgres?.stop();
});

let tables = 0;
const post = (key: string, body: unknown = { text: key }) =>
  new Request('http://app.test/api/messages', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify(body),
  });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const timed = async <T>(p: Promise<T>): Promise<[T, number]> => {
  const start = performance.now();
  const value = await p;
  return [value, performance.now() - start];
};

/** A handler that writes one row per run; the key `slow` waits for `gate` (at most `holdMs`) first. */
function app(table: string, read: pg.Pool, holdMs: number) {
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  let entered!: () => void;
  const inside = new Promise<void>((r) => (entered = r));
  const handler: AppHandler = async (req, ctx) => {
    const { text } = (await req.json()) as { text: string };
    // A read through the app's pool while the key's transaction is open (the shared-pool case).
    await read.query('SELECT 1');
    if (text === 'slow') {
      entered();
      await Promise.race([gate, sleep(holdMs)]);
    }
    await ctx.sql!.query(`INSERT INTO ${table} (text) VALUES ($1)`, [text]);
    return Response.json({ text }, { status: 201 });
  };
  const applied = async (text: string) =>
    Number((await admin.query(`SELECT count(*)::int AS n FROM ${table} WHERE text = $1`, [text])).rows[0].n);
  return { handler, inside, open, applied };
}

describe('duplicates of a running request on Postgres', () => {
  for (const shared of [false, true]) {
    it(`12 duplicates of a slow request get 409 at once, not after its 5 s, an unrelated request is unaffected (${
      shared ? 'the app shares its pool with the store' : 'private pools'
    })`, async () => {
      const table = `app_dup_${++tables}`;
      await admin.query(`CREATE TABLE ${table} (text text)`);
      // pg's default pool size: a duplicate that held a connection while waiting would exhaust it.
      const pool = new pg.Pool({ connectionString: postgres.url, max: 10 });
      const store = shared
        ? new PgStore({ pool, table: `keys_dup_${tables}` })
        : new PgStore({ connectionString: postgres.url, table: `keys_dup_${tables}` });
      await store.ready();
      const { handler, inside, open, applied } = app(table, pool, 5_000);
      const layer = new Idempotency({ store, scope: () => 'alice' });

      const first = layer.handle(post('k-slow', { text: 'slow' }), handler);
      // Also when an expectation fails: nothing left connected when the cluster stops.
      onTestFinished(async () => {
        open();
        await first.catch(() => undefined);
        await store.close();
        await pool.end();
      });
      await inside;
      const dups = await Promise.all(
        Array.from({ length: 12 }, () => timed(layer.handle(post('k-slow', { text: 'slow' }), handler))),
      );
      for (const [res, ms] of dups) {
        expect([res.status, res.headers.get('retry-after')]).toEqual([409, '1']);
        // A duplicate that waited on the key's row lock would take the slow request's 5 s.
        expect(ms).toBeLessThan(1_000);
      }
      const [other, otherMs] = await timed(layer.handle(post('k-other', { text: 'other' }), handler));
      expect(other.status).toBe(201);
      expect(otherMs).toBeLessThan(1_000);
      expect(await applied('slow')).toBe(0);

      open();
      const [done, doneMs] = await timed(first);
      expect(done.status).toBe(201);
      // Released by the gate, not by the handler's 5 s fallback: nothing waited for the duplicates.
      expect(doneMs).toBeLessThan(2_000);
      const replay = await layer.handle(post('k-slow', { text: 'slow' }), handler);
      expect([replay.status, replay.headers.get('idempotent-replayed')]).toEqual([201, 'true']);
      expect(await applied('slow')).toBe(1);
      expect(await applied('other')).toBe(1);
    }, 30_000);
  }
});

describe('a pool shared with the app through PgStore({ pool })', () => {
  it('cannot deadlock: more requests in flight than the pool has connections, each reading through it', async () => {
    const table = `app_pool_${++tables}`;
    await admin.query(`CREATE TABLE ${table} (text text)`);
    const pool = new pg.Pool({ connectionString: postgres.url, max: 2 });
    const store = new PgStore({ pool, table: `keys_pool_${tables}` });
    await store.ready();
    const { handler, applied } = app(table, pool, 0);
    const layer = new Idempotency({ store, scope: () => 'alice' });
    const all = Promise.all(
      Array.from({ length: 6 }, (_, i) => layer.handle(post(`k-${i}`, { text: 'each' }), handler)),
    );
    const within = await Promise.race([all, sleep(5_000).then(() => 'stuck' as const)]);
    expect(within === 'stuck' ? within : within.map((r) => r.status)).toEqual([201, 201, 201, 201, 201, 201]);
    expect(await applied('each')).toBe(6);
    await store.close();
    // A request left stuck by the defect holds the pool's clients: do not wait for them.
    void pool.end();
  }, 30_000);
});

describe('two instances whose clocks are 5 s apart, on one Postgres', () => {
  for (const effects of ['outside-database', 'in-transaction'] as const) {
    it(`a 3 s lease is one lease for both: the key runs once (${effects})`, async () => {
      const table = `app_clock_${++tables}`;
      await admin.query(`CREATE TABLE ${table} (text text)`);
      const keys = `keys_clock_${tables}`;
      const storeA = new PgStore({ connectionString: postgres.url, table: keys });
      const storeB = new PgStore({ connectionString: postgres.url, table: keys });
      await Promise.all([storeA.ready(), storeB.ready()]);
      const options = { scope: () => 'alice', leaseMs: 3_000, effects } as const;
      const a = new Idempotency({ ...options, store: storeA });
      const b = new Idempotency({ ...options, store: storeB });
      let runs = 0;
      let open!: () => void;
      const gate = new Promise<void>((r) => (open = r));
      let entered!: () => void;
      const inside = new Promise<void>((r) => (entered = r));
      const handler: AppHandler = async (_req, ctx) => {
        // Only the first run waits: a second one (the defect) answers at once instead of hanging the test.
        if (++runs === 1) {
          entered();
          await gate;
        }
        if (ctx.sql) await ctx.sql.query(`INSERT INTO ${table} (text) VALUES ('x')`);
        return Response.json({ runs }, { status: 201 });
      };
      const first = a.handle(post('k-clock'), handler);
      await inside;
      // Instance B's clock is 5 s ahead of A's: by B's clock, A's 3 s lease ended 2 s ago.
      const realNow = Date.now.bind(Date);
      const ahead = vi.spyOn(Date, 'now').mockImplementation(() => realNow() + 5_000);
      let dup: Response;
      try {
        dup = await b.handle(post('k-clock'), handler);
      } finally {
        ahead.mockRestore();
      }
      expect(dup.status).toBe(409);
      expect(runs).toBe(1);
      open();
      expect((await first).status).toBe(201);
      const replay = await b.handle(post('k-clock'), handler);
      expect([replay.status, replay.headers.get('idempotent-replayed')]).toEqual([201, 'true']);
      expect(runs).toBe(1);
      await Promise.all([storeA.close(), storeB.close()]);
    }, 30_000);
  }
});

describe('the layer refuses a configuration without a scope', () => {
  it('no scope and no singleScope is FerryServerError invalid-config; singleScope alone works', async () => {
    const store = new MemoryIdempotencyStore();
    const config = (make: () => unknown) => {
      try {
        make();
      } catch (err) {
        return err instanceof FerryServerError ? err.code : String(err);
      }
      return 'no error';
    };
    expect(config(() => new Idempotency({ store }))).toBe('invalid-config');
    expect(config(() => new Idempotency({ store, singleScope: '' }))).toBe('invalid-config');
    expect(config(() => new Idempotency({ store, scope: () => 'a', singleScope: 'b' }))).toBe('invalid-config');
    const single = new Idempotency({ store, singleScope: 'only', effects: 'outside-database' });
    const handler: AppHandler = () => new Response('ok', { status: 201 });
    expect((await single.handle(post('k1'), handler)).status).toBe(201);
    expect((await single.handle(post('k1'), handler)).headers.get('idempotent-replayed')).toBe('true');
  });
});
