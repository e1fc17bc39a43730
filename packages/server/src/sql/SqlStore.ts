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
  Settlement,
  Sql,
  StoredAnswer,
  TransactResult,
} from '../IdempotencyStore.ts';
import type { ClaimRow } from './rows.ts';
import { readClaim, toAnswer, toRecord } from './rows.ts';
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

/** How a transaction opens: `claim` (if any) committed on its own first, then BEGIN and `first`. */
export interface Opening {
  claim?: Statement;
  first: Statement;
}

/** The rows of an {@link Opening}'s statements. */
export interface Opened {
  claim: unknown[];
  first: unknown[];
}

/** What a database gives the shared SQL: plain queries and a transaction (commit on resolve, rollback on throw). */
export interface SqlDriver extends Sql {
  /**
   * Commits `open.claim` on its own, then runs `open.first` right after BEGIN, then `fn` with their
   * rows and the transaction's {@link Sql}, then `fn`'s `last` right before COMMIT, all on one
   * connection. A driver may send the claim, BEGIN and `first` in one round trip, and `last` with
   * COMMIT in another. Rejects with `FerryServerError('storage-unavailable')` when that connection
   * ends before the commit is confirmed.
   */
  transaction<T>(open: Opening, fn: (sql: Sql, rows: Opened) => Promise<Closing<T>>): Promise<T>;
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

/** The transaction's claim did not win the key: what it found instead (undefined: try again). */
class NotOurs {
  readonly found: Exclude<ClaimResult, { kind: 'claimed' }> | undefined;
  constructor(found: Exclude<ClaimResult, { kind: 'claimed' }> | undefined) {
    this.found = found;
  }
}

/** What settling a claim this store holds came to. */
export type Settled<T> = { kind: 'settled'; value: T } | { kind: 'lost' };

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
      const claim = this.#claim(c, token);
      const r = readClaim((await this.#driver.query<ClaimRow>(claim.text, claim.params)).rows[0], token);
      if (r === 'won') return { kind: 'claimed', ref: { scope: c.scope, key: c.key, token } };
      if (r) return r;
    }
    throw new Error(`idempotency key ${c.key} kept changing hands while being claimed`);
  }

  async transact<T>(c: ClaimInput, work: (sql: Sql) => Promise<Settlement<T>>): Promise<TransactResult<T>> {
    await this.#ready;
    for (let round = 0; round < 5; round++) {
      const ref = { scope: c.scope, key: c.key, token: crypto.randomUUID() };
      try {
        const claim = this.#claim(c, ref.token);
        const open: Opening = this.claimsInTransaction ? { first: claim } : { claim, first: this.#lock(ref) };
        const settled = await this.#settle(ref, open, work, (rows) => {
          const r = readClaim((open.claim ? rows.claim : rows.first)[0] as ClaimRow | undefined, ref.token);
          if (r !== 'won') throw new NotOurs(r);
        });
        // Lost between its claim and its lock (an operator's forget): another request may hold it now.
        return settled.kind === 'lost' ? { kind: 'running', fingerprint: c.fingerprint, retryAfterMs: 0 } : settled;
      } catch (err) {
        if (!(err instanceof NotOurs)) throw err;
        if (err.found) return err.found;
      }
    }
    throw new Error(`idempotency key ${c.key} kept changing hands while being claimed`);
  }

  /**
   * `transact` claims the key inside its transaction (one transaction and no lock statement per request)
   * instead of committing the claim apart first. Only for a database with one connection, where no other
   * transaction can wait on the uncommitted claim: with more, a duplicate would wait for the whole request.
   */
  protected get claimsInTransaction(): boolean {
    return false;
  }

  /**
   * `work` in the transaction `open` begins, its first statement locking `ref`'s row (or claiming it)
   * for the whole transaction: every claim sees it running, whatever its lease says. `check` reads the opening's rows
   * (and throws to give up before the work runs). Locked by another transaction means a claim is
   * taking over our lapsed lease.
   */
  async #settle<T>(
    ref: ClaimRef,
    open: Opening,
    work: (sql: Sql) => Promise<Settlement<T>>,
    check: (rows: Opened) => void,
  ): Promise<Settled<T>> {
    const params = [ref.scope, ref.key, ref.token];
    try {
      return await this.#driver.transaction(open, async (sql, rows) => {
        check(rows);
        if (rows.first.length === 0) throw new Lost();
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
        return { value: { kind: 'settled', value: s.value } as const, last };
      });
    } catch (err) {
      if (err instanceof NotOurs) throw err;
      // The transaction rolled back (or its connection is gone), and a claim committed apart may still hold
      // the key: free it unless it was committed `done` (a no-op when `ref` holds nothing).
      if (open.claim) await this.release(ref).catch(() => undefined);
      if (err instanceof Lost || (err as { code?: unknown } | null)?.code === LOCKED) return { kind: 'lost' };
      if (err instanceof Rollback) return { kind: 'settled', value: err.value as T };
      throw err;
    }
  }

  /** The claim of `c` by `token` ({@link claimSql}). */
  #claim(c: ClaimInput, token: string): Statement {
    return {
      text: claimSql(this.#t),
      params: [c.scope, c.key, c.fingerprint, token, c.leaseMs, Math.max(c.expiresMs, c.leaseMs)],
    };
  }

  /** Locks `ref`'s row if `ref` still holds it, without waiting for a transaction that holds it. */
  #lock(ref: ClaimRef): Statement {
    return {
      text: `SELECT 1 FROM ${this.#t} WHERE scope = $1 AND key = $2 AND token = $3 AND state = 'running'
             FOR UPDATE NOWAIT`,
      params: [ref.scope, ref.key, ref.token],
    };
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
