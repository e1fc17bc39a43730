import pg from 'pg';
import { FerryServerError } from './FerryServerError.ts';
import type { Sql } from './IdempotencyStore.ts';
import { isConnectionLoss } from './lib/connectionLoss.ts';
import { script, statementName } from './sql/script.ts';
import type { Closing, Opened, Opening, Statement } from './sql/SqlStore.ts';
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
 * With effects in the key's transaction a request costs two round trips
 * besides the handler's own statements, on one pooled client: the claim
 * (committed on its own, so a duplicate sees it at once) with BEGIN and the
 * statement locking the key, then the stored answer with COMMIT. Outside the
 * database, the claim and the stored answer are a prepared statement each. A client
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
          (await pool.query({ name: `ferry_${statementName(text)}`, text, values: params ?? [] })) as unknown as {
            rows: Row[];
          },
        transaction: (open, fn) => transaction(pool, open, fn),
        close: () => pool.end(),
      },
      options.table,
    );
    this.pool = pool;
  }
}

/**
 * `fn` inside `BEGIN … COMMIT` on a client of its own: the opening's claim (committed in a transaction of
 * its own), BEGIN and its first statement in one simple query, and `fn`'s last statement with COMMIT in
 * another: one round trip each, of statements the connection prepared. While the client is checked out
 * the pool's listener is off it, so this one takes its `'error'` (emitted when the connection ends while
 * the transaction waits on the app, and fatal to the process without a listener).
 */
async function transaction<T>(
  pool: pg.Pool,
  open: Opening,
  fn: (sql: Sql, rows: Opened) => Promise<Closing<T>>,
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
  // Set while a script is on the wire: a connection whose script failed is not used again.
  let scripted = false;
  const run = async (items: (Statement | string)[]): Promise<unknown[][]> => {
    const { text, at } = script(client, items);
    scripted = true;
    const results = [(await client.query(text)) as unknown as pg.QueryResult | pg.QueryResult[]].flat();
    scripted = false;
    return at.map((i) => results[i]?.rows ?? []);
  };
  try {
    const rows = open.claim
      ? await run(['BEGIN', open.claim, 'COMMIT', 'BEGIN', open.first])
      : await run(['BEGIN', open.first]);
    const { value, last } = await fn(client as unknown as Sql, {
      claim: open.claim ? (rows[1] ?? []) : [],
      first: rows.at(-1) ?? [],
    });
    await run([last, 'COMMIT']);
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
    // A client whose connection failed, or whose script did, is destroyed, not put back in the pool.
    const broken = lost ?? (scripted ? 'a script failed' : undefined);
    client.release(broken === undefined ? undefined : broken instanceof Error ? broken : new Error(String(broken)));
  }
}
