import type { PGlite } from '@electric-sql/pglite';
import type { Sql } from '@ferry/server';

/** A message as the server stored it: what the payload said, plus who sent it (from the verified token) and its place. */
export type Message = Record<string, unknown> & { author: string | null; seq: number; receivedAt: number };

/** One applied request, as the tests read them back. */
export interface StoredMessage {
  key: string;
  lane: string;
  message: Message;
}

interface Row {
  key: string;
  lane: string;
  author: string | null;
  seq: number;
  received_at: number;
  fields: Record<string, unknown>;
}

/**
 * The demo's messages, in a table of the same embedded database (PGlite)
 * that holds the idempotency keys: a message is inserted through the
 * transaction that holds its key, so the message and the stored answer
 * commit together or not at all (`effects: 'in-transaction'`, @ferry/server's default).
 */
export class Messages {
  readonly #db: PGlite;
  readonly #t: string;
  readonly #ready: Promise<void>;

  /** @param table the table's name (letters, digits, `_`) */
  constructor(db: PGlite, table: string) {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(table)) throw new TypeError(`bad table name ${table}`);
    this.#db = db;
    this.#t = table;
    this.#ready = db
      .query(
        `CREATE TABLE IF NOT EXISTS ${table} (
          seq serial PRIMARY KEY, key text NOT NULL, lane text NOT NULL, author text,
          received_at bigint NOT NULL, fields jsonb NOT NULL)`,
      )
      .then(() => undefined);
  }

  ready(): Promise<void> {
    return this.#ready;
  }

  /** Inserts through `sql` (the key's transaction) and returns the message as stored. */
  async insert(
    sql: Sql,
    m: { key: string; lane: string; author: string | null; fields: Record<string, unknown> },
  ): Promise<Message> {
    const receivedAt = Date.now();
    const { rows } = await sql.query<{ seq: number }>(
      `INSERT INTO ${this.#t} (key, lane, author, received_at, fields) VALUES ($1, $2, $3, $4, $5) RETURNING seq`,
      [m.key, m.lane, m.author, receivedAt, JSON.stringify(m.fields)],
    );
    return { ...m.fields, author: m.author, seq: (rows[0] as { seq: number }).seq, receivedAt };
  }

  /** Every message, in the order the server stored them. */
  async all(): Promise<StoredMessage[]> {
    await this.#ready;
    const { rows } = await this.#db.query<Row>(
      `SELECT key, lane, author, seq, received_at::float8 AS received_at, fields FROM ${this.#t} ORDER BY seq`,
    );
    return rows.map((r) => ({
      key: r.key,
      lane: r.lane,
      message: { ...r.fields, author: r.author, seq: r.seq, receivedAt: r.received_at },
    }));
  }
}
