import pg from 'pg';
import type { Sql } from './IdempotencyStore.ts';
import { SqlStore } from './lib/SqlStore.ts';

export interface PgStoreOptions {
  /** A pool to share with the app (then the app ends it, not the store). */
  pool?: pg.Pool;
  /** Used when no `pool` is given, e.g. `postgres://user@127.0.0.1:5432/app`; `process.env['DATABASE_URL']` as it is (undefined allowed, also under `exactOptionalPropertyTypes`). */
  connectionString?: string | undefined;
  /** @default 'ferry_idempotency' */
  table?: string;
}

/**
 * Keys in Postgres through `pg`: many app instances share one table, and
 * the claim's `INSERT … ON CONFLICT` makes exactly one of them the first.
 * Every settle runs on one pooled client inside `BEGIN … COMMIT`; a client
 * whose process dies takes its open transaction with it (Postgres rolls it
 * back when the connection drops), and the key comes free when its lease ends.
 */
export class PgStore extends SqlStore {
  readonly pool: pg.Pool;

  constructor(options: PgStoreOptions) {
    const owned = options.pool === undefined;
    if (owned && !options.connectionString) throw new TypeError('PgStore needs a pool or a connectionString');
    const pool = options.pool ?? new pg.Pool({ connectionString: options.connectionString });
    // An idle client that loses its connection emits 'error' on the pool; unhandled, that ends the process.
    if (owned) pool.on('error', () => undefined);
    super(
      {
        query: async <Row>(text: string, params?: unknown[]) =>
          (await pool.query(text, params)) as unknown as { rows: Row[] },
        transaction: async <T>(fn: (sql: Sql) => Promise<T>): Promise<T> => {
          const client = await pool.connect();
          let broken: Error | undefined;
          try {
            await client.query('BEGIN');
            const value = await fn(client as unknown as Sql);
            await client.query('COMMIT');
            return value;
          } catch (err) {
            await client.query('ROLLBACK').catch((e: unknown) => {
              broken = e instanceof Error ? e : new Error(String(e));
            });
            throw err;
          } finally {
            client.release(broken);
          }
        },
        close: async () => {
          if (owned) await pool.end();
        },
      },
      options.table,
    );
    this.pool = pool;
  }
}
