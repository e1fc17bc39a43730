import type {
  ClaimInput,
  ClaimRef,
  ClaimResult,
  IdempotencyStore,
  SettleResult,
  Settlement,
  Sql,
  StoredAnswer,
} from '../IdempotencyStore.ts';

/** What a database gives the shared SQL: plain queries and a transaction (commit on resolve, rollback on throw). */
export interface SqlDriver extends Sql {
  transaction<T>(fn: (sql: Sql) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

const TABLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Carries the work's value out of a transaction it asked to roll back. */
class Rollback<T> {
  readonly value: T;
  constructor(value: T) {
    this.value = value;
  }
}

interface Row {
  state: 'running' | 'done';
  fingerprint: string;
  token: string;
  lease_until: number;
  expires_at: number;
  status: number | null;
  headers: [string, string][] | null;
  body: Uint8Array | null;
}

/** The schema, one statement each; run at open, safe to run again. Times are ms from the layer's clock, so tests can move it. */
export function schemaSql(table: string): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${table} (
  scope text NOT NULL,
  key text NOT NULL,
  fingerprint text NOT NULL,
  state text NOT NULL CHECK (state IN ('running', 'done')),
  token text NOT NULL,
  lease_until bigint NOT NULL,
  expires_at bigint NOT NULL,
  status integer,
  headers jsonb,
  body bytea,
  PRIMARY KEY (scope, key)
)`,
    `CREATE INDEX IF NOT EXISTS ${table}_expires_at ON ${table} (expires_at)`,
  ];
}

/**
 * The store logic both databases share. The claim is one
 * `INSERT … ON CONFLICT … DO UPDATE … WHERE` statement: a new key is
 * inserted; an existing one is taken over only when its lease ran out with
 * the same fingerprint, or when it expired. Postgres locks the conflicting
 * row and re-checks that WHERE against its latest committed version, so two
 * claimers never both win, and a claimer waiting on a transaction that
 * settles the key sees the settled row.
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
    if (!TABLE_NAME.test(table)) throw new TypeError(`table must match ${TABLE_NAME}`);
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
    const token = crypto.randomUUID();
    const leaseUntil = c.now + c.leaseMs;
    const expiresAt = c.now + Math.max(c.expiresMs, c.leaseMs);
    // A row can vanish between the INSERT and the SELECT (its holder released it): try again.
    for (let round = 0; round < 5; round++) {
      const won = await this.#driver.query<{ token: string }>(
        `INSERT INTO ${this.#t} AS t (scope, key, fingerprint, state, token, lease_until, expires_at)
         VALUES ($1, $2, $3, 'running', $4, $5, $6)
         ON CONFLICT (scope, key) DO UPDATE
           SET fingerprint = EXCLUDED.fingerprint, state = 'running', token = EXCLUDED.token,
               lease_until = EXCLUDED.lease_until, expires_at = EXCLUDED.expires_at,
               status = NULL, headers = NULL, body = NULL
           WHERE t.expires_at <= $7
              OR (t.state = 'running' AND t.lease_until <= $7 AND t.fingerprint = EXCLUDED.fingerprint)
         RETURNING t.token`,
        [c.scope, c.key, c.fingerprint, token, leaseUntil, expiresAt, c.now],
      );
      if (won.rows[0]?.token === token)
        return { kind: 'claimed', ref: { scope: c.scope, key: c.key, token }, leaseUntil };
      const row = await this.#read(this.#driver, c.scope, c.key);
      if (!row) continue;
      if (row.state === 'done') return { kind: 'done', fingerprint: row.fingerprint, answer: toAnswer(row) };
      return { kind: 'running', fingerprint: row.fingerprint, leaseUntil: row.lease_until };
    }
    throw new Error(`idempotency key ${c.key} kept changing hands while being claimed`);
  }

  async settle<T>(ref: ClaimRef, work: (sql: Sql) => Promise<Settlement<T>>): Promise<SettleResult<T>> {
    await this.#ready;
    let outcome: SettleResult<T>;
    try {
      outcome = await this.#driver.transaction(async (sql) => {
        // Lock the key for the whole transaction; a claimer that would take it over waits for us.
        const held = await sql.query(
          `SELECT 1 FROM ${this.#t} WHERE scope = $1 AND key = $2 AND token = $3 AND state = 'running' FOR UPDATE`,
          [ref.scope, ref.key, ref.token],
        );
        if (held.rows.length === 0) return { ok: false, reason: 'lost' } as const;
        const s = await work(sql);
        if (s.rollback) throw new Rollback(s.value);
        if (s.answer) {
          const a = s.answer;
          await sql.query(
            `UPDATE ${this.#t} SET state = 'done', status = $4, headers = $5, body = $6, expires_at = COALESCE($7, expires_at)
             WHERE scope = $1 AND key = $2 AND token = $3`,
            [ref.scope, ref.key, ref.token, a.status, JSON.stringify(a.headers), a.body, s.expiresAt ?? null],
          );
        } else {
          await sql.query(`DELETE FROM ${this.#t} WHERE scope = $1 AND key = $2 AND token = $3`, [
            ref.scope,
            ref.key,
            ref.token,
          ]);
        }
        return { ok: true, value: s.value } as const;
      });
    } catch (err) {
      await this.release(ref);
      if (err instanceof Rollback) return { ok: true, value: err.value as T };
      throw err;
    }
    return outcome;
  }

  async complete(ref: ClaimRef, a: StoredAnswer): Promise<boolean> {
    await this.#ready;
    const done = await this.#driver.query(
      `UPDATE ${this.#t} SET state = 'done', status = $4, headers = $5, body = $6
       WHERE scope = $1 AND key = $2 AND token = $3 AND state = 'running' RETURNING 1`,
      [ref.scope, ref.key, ref.token, a.status, JSON.stringify(a.headers), a.body],
    );
    return done.rows.length > 0;
  }

  async release(ref: ClaimRef): Promise<void> {
    await this.#ready;
    await this.#driver.query(
      `DELETE FROM ${this.#t} WHERE scope = $1 AND key = $2 AND token = $3 AND state = 'running'`,
      [ref.scope, ref.key, ref.token],
    );
  }

  async inspect(scope: string, key: string) {
    await this.#ready;
    const row = await this.#read(this.#driver, scope, key);
    if (!row) return null;
    return {
      state: row.state,
      fingerprint: row.fingerprint,
      leaseUntil: row.lease_until,
      expiresAt: row.expires_at,
      answer: row.state === 'done' ? toAnswer(row) : null,
    };
  }

  async purge(now: number): Promise<number> {
    await this.#ready;
    const gone = await this.#driver.query(`DELETE FROM ${this.#t} WHERE expires_at <= $1 RETURNING 1`, [now]);
    return gone.rows.length;
  }

  async close(): Promise<void> {
    await this.#ready.catch(() => undefined);
    await this.#driver.close();
  }

  async #read(sql: Sql, scope: string, key: string): Promise<Row | undefined> {
    const r = await sql.query<Row>(
      `SELECT state, fingerprint, token, lease_until::float8 AS lease_until, expires_at::float8 AS expires_at, status, headers, body
       FROM ${this.#t} WHERE scope = $1 AND key = $2`,
      [scope, key],
    );
    return r.rows[0];
  }
}

function toAnswer(row: Row): StoredAnswer {
  return {
    status: row.status ?? 500,
    headers: row.headers ?? [],
    body: row.body ? new Uint8Array(row.body) : new Uint8Array(),
  };
}
