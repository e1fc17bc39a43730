import pg from 'pg';
import { FerryServerError } from './FerryServerError.ts';
import type { Sql } from './IdempotencyStore.ts';
import { isConnectionLoss } from './lib/connectionLoss.ts';
import { inline } from './sql/inline.ts';
import type { Closing, Statement } from './sql/SqlStore.ts';
import { SqlStore } from './sql/SqlStore.ts';

export interface PgStoreOptions {
  /**
   * The app's pool: the store connects with its settings (`pool.options`) through a pool of its own
   * of the same size, so a request's transaction never waits for a connection of the app's pool
   * while the handler awaits a read through it (a pool shared by both would deadlock once every
   * connection is a transaction waiting for another). The app ends its pool; `close()` ends the store's.
   * @default none (`connectionString` is used)
   */
  pool?: pg.Pool;
  /**
   * Used when no `pool` is given, e.g. `postgres://user@127.0.0.1:5432/app`; `process.env['DATABASE_URL']`
   * as it is (undefined allowed, also under `exactOptionalPropertyTypes`).
   */
  connectionString?: string | undefined;
  /** @default 'ferry_idempotency' */
  table?: string;
}

/**
 * Keys in Postgres through `pg`: many app instances share one table, and
 * the claim's `INSERT … ON CONFLICT` makes exactly one of them the first.
 * Every settle runs on one pooled client inside `BEGIN … COMMIT`, in three
 * round trips: BEGIN with the statement locking the key, the handler's own
 * statements, then the stored answer with COMMIT; the claim before it is a
 * prepared statement of its own. A client
 * whose process dies takes its open transaction with it (Postgres rolls it
 * back when the connection drops), and the key comes free when its lease ends.
 * A connection that ends while a request's transaction is open (a restart, a
 * failover, `pg_terminate_backend`, `idle_in_transaction_session_timeout`) fails
 * that request with `storage-unavailable` (answered 503) and nothing else.
 */
export class PgStore extends SqlStore {
  /** The store's own pool (never the app's). */
  readonly pool: pg.Pool;

  constructor(options: PgStoreOptions) {
    if (options.pool === undefined && !options.connectionString)
      throw new FerryServerError('invalid-config', 'PgStore needs a pool or a connectionString');
    const pool = new pg.Pool(options.pool ? options.pool.options : { connectionString: options.connectionString });
    // An idle client that loses its connection emits 'error' on the pool; unhandled, that ends the process.
    pool.on('error', () => undefined);
    super(
      {
        // The store's own statements, prepared once per connection (`name`): parsed and planned once.
        query: async <Row>(text: string, params?: unknown[]) =>
          (await pool.query({ name: statementName(text), text, values: params ?? [] })) as unknown as { rows: Row[] },
        transaction: (first, fn) => transaction(pool, first, fn),
        close: () => pool.end(),
      },
      options.table,
    );
    this.pool = pool;
  }
}

/**
 * `fn` inside `BEGIN … COMMIT` on a client of its own, `first` sent with BEGIN and `fn`'s last statement
 * with COMMIT (simple queries of two statements: one round trip each). While the client is checked out
 * the pool's listener is off it, so this one takes its `'error'` (emitted when the connection ends while
 * the transaction waits on the app, and fatal to the process without a listener).
 */
async function transaction<T>(
  pool: pg.Pool,
  first: Statement,
  fn: (sql: Sql, rows: unknown[]) => Promise<Closing<T>>,
): Promise<T> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    throw new FerryServerError('storage-unavailable', 'the database could not be reached', { cause: err });
  }
  let lost: unknown;
  const onError = (err: unknown): void => {
    lost ??= err;
  };
  client.on('error', onError);
  try {
    const opened = (await client.query(`BEGIN; ${inline(first)}`)) as unknown as pg.QueryResult[];
    const { value, last } = await fn(client as unknown as Sql, opened[1]?.rows ?? []);
    await client.query(`${inline(last)}; COMMIT`);
    return value;
  } catch (err) {
    if (lost === undefined && isConnectionLoss(err)) lost = err;
    if (lost === undefined) await client.query('ROLLBACK').catch((e: unknown) => (lost = e));
    if (lost === undefined) throw err;
    throw new FerryServerError(
      'storage-unavailable',
      'the connection of the transaction ended before its commit was confirmed',
      { cause: lost },
    );
  } finally {
    client.removeListener('error', onError);
    // A client whose connection failed is destroyed, not put back in the pool.
    client.release(lost === undefined ? undefined : lost instanceof Error ? lost : new Error(String(lost)));
  }
}

/** A prepared statement's name, the same for the same text in every process (pg keeps one per connection). */
function statementName(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return `ferry_${(h >>> 0).toString(16)}_${text.length}`;
}
