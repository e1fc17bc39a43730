import { FerryServerError } from '../FerryServerError.ts';
import type {
  ClaimInput,
  ClaimRef,
  ClaimResult,
  IdempotencyStore,
  KeyDetail,
  KeyRecord,
  ListOptions,
  PurgeOptions,
  SettleResult,
  Settlement,
  Sql,
  StoredAnswer,
} from '../IdempotencyStore.ts';
import type { Row } from './schema.ts';
import { COLUMNS, NOW_MS, TABLE_NAME, claimSql, heldSql, schemaSql } from './schema.ts';

/** One of the store's own statements with its parameters (`$1`…; no `$` inside its string literals). */
export interface Statement {
  text: string;
  params: unknown[];
}

/** What a transaction's body decided: its value, and the statement that runs last, just before COMMIT. */
export interface Closing<T> {
  value: T;
  last: Statement;
}

/** What a database gives the shared SQL: plain queries and a transaction (commit on resolve, rollback on throw). */
export interface SqlDriver extends Sql {
  /**
   * Runs `first` right after BEGIN, then `fn` with its rows and the transaction's {@link Sql}, then
   * `fn`'s `last` right before COMMIT, all on one connection. A driver may send `first` with BEGIN
   * and `last` with COMMIT in one round trip each. Rejects with
   * `FerryServerError('storage-unavailable')` when that connection ends before the commit is confirmed.
   */
  transaction<T>(first: Statement, fn: (sql: Sql, rows: unknown[]) => Promise<Closing<T>>): Promise<T>;
  close(): Promise<void>;
}

/** Carries the work's value out of a transaction it asked to roll back. */
class Rollback<T> {
  readonly value: T;
  constructor(value: T) {
    this.value = value;
  }
}

/** SQLSTATE lock_not_available: `NOWAIT` met a row another transaction holds. */
const LOCKED = '55P03';

/** The claim was taken over before its transaction could lock it. */
class Lost {}

interface ClaimRow {
  won: string | null;
  state: 'running' | 'done' | null;
  fingerprint: string;
  lease_left: number;
  expired: boolean;
  status: number | null;
  headers: [string, string][] | null;
  body: Uint8Array | null;
}

/**
 * The store logic both databases share. A claim is one statement that never
 * waits for another request ({@link claimSql}); a settle's transaction
 * locks the key's row first (`FOR UPDATE NOWAIT`), and a locked row is
 * `running` to every claim, so a request whose transaction is open is never
 * run twice however long it takes, and a duplicate is answered at once.
 * Every other statement skips rows another transaction holds instead of
 * waiting for them.
 */
export class SqlStore implements IdempotencyStore {
  readonly #driver: SqlDriver;
  readonly #t: string;
  readonly #ready: Promise<void>;

  /**
   * @param driver the connection (PGlite instance or `pg` pool)
   * @param table the table's name @default 'ferry_idempotency'
   */
  constructor(driver: SqlDriver, table = 'ferry_idempotency') {
    if (!TABLE_NAME.test(table)) throw new FerryServerError('invalid-config', `table must match ${TABLE_NAME}`);
    this.#driver = driver;
    this.#t = table;
    // Two processes may create the schema at once; CREATE … IF NOT EXISTS can still race on the
    // catalog (unique violation), so one retry settles it.
    const create = async (): Promise<void> => {
      for (const statement of schemaSql(table)) await driver.query(statement);
    };
    this.#ready = create().catch(create);
  }

  /** Resolves once the schema exists; rejects if the database cannot be reached. */
  ready(): Promise<void> {
    return this.#ready;
  }

  async claim(c: ClaimInput): Promise<ClaimResult> {
    await this.#ready;
    // A row can vanish or appear between the statement's snapshot and its insert: try again.
    for (let round = 0; round < 5; round++) {
      const token = crypto.randomUUID();
      const { rows } = await this.#driver.query<ClaimRow>(claimSql(this.#t), [
        c.scope,
        c.key,
        c.fingerprint,
        token,
        c.leaseMs,
        Math.max(c.expiresMs, c.leaseMs),
      ]);
      const r = rows[0];
      if (r?.won === token) return { kind: 'claimed', ref: { scope: c.scope, key: c.key, token } };
      if (!r || r.state === null) continue;
      // An expired row another transaction holds (a takeover or a purge under way) is not an answer to replay.
      if (r.state === 'done' && !r.expired) return { kind: 'done', fingerprint: r.fingerprint, answer: toAnswer(r) };
      return { kind: 'running', fingerprint: r.fingerprint, retryAfterMs: r.expired ? 0 : r.lease_left };
    }
    throw new Error(`idempotency key ${c.key} kept changing hands while being claimed`);
  }

  async settle<T>(ref: ClaimRef, work: (sql: Sql) => Promise<Settlement<T>>): Promise<SettleResult<T>> {
    await this.#ready;
    const params = [ref.scope, ref.key, ref.token];
    // The first statement locks the key for the whole transaction: every claim sees it running, whatever
    // its lease says. Locked by another transaction means a claim is taking over our lapsed lease.
    const lock: Statement = {
      text: `SELECT 1 FROM ${this.#t} WHERE scope = $1 AND key = $2 AND token = $3 AND state = 'running'
             FOR UPDATE NOWAIT`,
      params,
    };
    try {
      return await this.#driver.transaction(lock, async (sql, held) => {
        if (held.length === 0) throw new Lost();
        const s = await work(sql);
        if (s.rollback) throw new Rollback(s.value);
        const a = s.answer;
        const last: Statement = a
          ? {
              text: `UPDATE ${this.#t} SET state = 'done', status = $4, headers = $5, body = $6
                     WHERE scope = $1 AND key = $2 AND token = $3`,
              params: [...params, a.status, JSON.stringify(a.headers), a.body],
            }
          : { text: `DELETE FROM ${this.#t} WHERE scope = $1 AND key = $2 AND token = $3`, params };
        return { value: { ok: true, value: s.value } as const, last };
      });
    } catch (err) {
      if (err instanceof Lost || (err as { code?: unknown } | null)?.code === LOCKED)
        return { ok: false, reason: 'lost' };
      // The transaction rolled back (or its connection is gone): free the key unless it was committed `done`.
      await this.release(ref).catch(() => undefined);
      if (err instanceof Rollback) return { ok: true, value: err.value as T };
      throw err;
    }
  }

  async complete(ref: ClaimRef, a: StoredAnswer): Promise<boolean> {
    await this.#ready;
    const done = await this.#driver.query(
      `UPDATE ${this.#t} SET state = 'done', status = $4, headers = $5, body = $6 WHERE ${heldSql(this.#t)}
       RETURNING 1`,
      [ref.scope, ref.key, ref.token, a.status, JSON.stringify(a.headers), a.body],
    );
    return done.rows.length > 0;
  }

  async release(ref: ClaimRef): Promise<void> {
    await this.#ready;
    await this.#driver.query(`DELETE FROM ${this.#t} WHERE ${heldSql(this.#t)}`, [ref.scope, ref.key, ref.token]);
  }

  async inspect(scope: string, key: string): Promise<KeyDetail | null> {
    await this.#ready;
    const { rows } = await this.#driver.query<Row>(
      `SELECT ${COLUMNS}, headers, body FROM ${this.#t} WHERE scope = $1 AND key = $2`,
      [scope, key],
    );
    const row = rows[0];
    if (!row) return null;
    return { ...toRecord(row), answer: row.state === 'done' ? toAnswer(row) : null };
  }

  async list(options: ListOptions = {}): Promise<KeyRecord[]> {
    await this.#ready;
    const { rows } = await this.#driver.query<Row>(
      `SELECT ${COLUMNS} FROM ${this.#t}
       WHERE ($1::text IS NULL OR scope = $1) AND ($2::text IS NULL OR state = $2)
         AND ($3::text IS NULL OR (scope, key) > ($3, $4::text))
       ORDER BY scope, key LIMIT $5`,
      [
        options.scope ?? null,
        options.state ?? null,
        options.after?.scope ?? null,
        options.after?.key ?? null,
        options.limit ?? 100,
      ],
    );
    return rows.map(toRecord);
  }

  async forget(scope: string, key: string): Promise<boolean> {
    await this.#ready;
    const gone = await this.#driver.query(
      `DELETE FROM ${this.#t} WHERE (scope, key) IN (
         SELECT scope, key FROM ${this.#t} WHERE scope = $1 AND key = $2 FOR UPDATE SKIP LOCKED)
       RETURNING 1`,
      [scope, key],
    );
    return gone.rows.length > 0;
  }

  async purge(options: PurgeOptions = {}): Promise<number> {
    await this.#ready;
    const batchSize = options.batchSize ?? 1_000;
    const maxBatches = options.maxBatches ?? Infinity;
    if (!(batchSize >= 1)) throw new FerryServerError('invalid-config', 'purge: batchSize must be at least 1');
    let total = 0;
    for (let batch = 0; batch < maxBatches; batch++) {
      const { rows } = await this.#driver.query<{ n: number }>(
        `WITH gone AS (
           DELETE FROM ${this.#t} WHERE ctid IN (
             SELECT ctid FROM ${this.#t} WHERE expires_at <= ${NOW_MS} LIMIT $1 FOR UPDATE SKIP LOCKED)
           RETURNING 1)
         SELECT count(*)::int AS n FROM gone`,
        [batchSize],
      );
      const n = rows[0]?.n ?? 0;
      total += n;
      if (n < batchSize) break;
    }
    return total;
  }

  async close(): Promise<void> {
    await this.#ready.catch(() => undefined);
    await this.#driver.close();
  }
}

function toRecord(row: Row): KeyRecord {
  return {
    scope: row.scope,
    key: row.key,
    state: row.state,
    fingerprint: row.fingerprint,
    leaseUntil: row.lease_until,
    expiresAt: row.expires_at,
    status: row.status,
  };
}

function toAnswer(row: Pick<Row, 'status' | 'headers' | 'body'>): StoredAnswer {
  return {
    status: row.status ?? 500,
    headers: row.headers ?? [],
    body: row.body ? new Uint8Array(row.body) : new Uint8Array(),
  };
}
