import { FerryServerError } from './FerryServerError.ts';
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
} from './IdempotencyStore.ts';

export interface MemoryIdempotencyStoreOptions {
  /** The store's clock, for leases and expiry. @default () => Date.now() */
  clock?: () => number;
}

interface Entry {
  scope: string;
  key: string;
  state: 'running' | 'done';
  fingerprint: string;
  token: string;
  leaseUntil: number;
  expiresAt: number;
  answer: StoredAnswer | null;
  /** Set while a transaction's work runs: the key is running to every claim, as a row a transaction locks is. */
  settling?: boolean;
}

/** What `transact`'s work gets: there is no database to write the app's data through. */
const NO_SQL: Sql = {
  query: () =>
    Promise.reject(
      new FerryServerError(
        'unsupported',
        'MemoryIdempotencyStore has no database: use PgliteStore or PgStore to write through ctx.sql',
      ),
    ),
};

/**
 * Keys in this process's memory: the rules of the SQL stores (one winner per
 * key, leases, fingerprints, scopes, expiry; the store conformance suite
 * checks them), without a database. For tests and for trying things out:
 * keys are gone when the process ends, and nothing is shared between
 * processes. It has no transaction to run the app's writes in (`ctx.sql`
 * rejects every query). It costs no event-loop time, where PGlite runs each
 * statement on the main thread.
 */
export class MemoryIdempotencyStore implements IdempotencyStore {
  readonly #keys = new Map<string, Entry>();
  readonly #clock: () => number;

  constructor(options: MemoryIdempotencyStoreOptions = {}) {
    this.#clock = options.clock ?? (() => Date.now());
  }

  async claim(c: ClaimInput): Promise<ClaimResult> {
    const now = this.#clock();
    const id = idOf(c.scope, c.key);
    const e = this.#keys.get(id);
    const free =
      !e ||
      (!e.settling &&
        (e.expiresAt <= now || (e.state === 'running' && e.leaseUntil <= now && e.fingerprint === c.fingerprint)));
    if (free) {
      const token = crypto.randomUUID();
      this.#keys.set(id, {
        scope: c.scope,
        key: c.key,
        state: 'running',
        fingerprint: c.fingerprint,
        token,
        leaseUntil: now + c.leaseMs,
        expiresAt: now + Math.max(c.expiresMs, c.leaseMs),
        answer: null,
      });
      return { kind: 'claimed', ref: { scope: c.scope, key: c.key, token } };
    }
    if (e.state === 'done') return { kind: 'done', fingerprint: e.fingerprint, answer: copy(e.answer as StoredAnswer) };
    return { kind: 'running', fingerprint: e.fingerprint, retryAfterMs: Math.max(0, e.leaseUntil - now) };
  }

  async transact<T>(c: ClaimInput, work: (sql: Sql) => Promise<Settlement<T>>): Promise<TransactResult<T>> {
    const claim = await this.claim(c);
    if (claim.kind !== 'claimed') return claim;
    const ref = claim.ref;
    const e = this.#held(ref) as Entry;
    e.settling = true;
    try {
      const s = await work(NO_SQL);
      if (s.answer && !s.rollback) {
        Object.assign(e, { state: 'done', answer: copy(s.answer) });
      } else {
        this.#keys.delete(idOf(ref.scope, ref.key));
      }
      return { kind: 'settled', value: s.value };
    } catch (err) {
      this.#keys.delete(idOf(ref.scope, ref.key));
      throw err;
    } finally {
      delete e.settling;
    }
  }

  async complete(ref: ClaimRef, answer: StoredAnswer): Promise<boolean> {
    const e = this.#held(ref);
    if (!e || e.settling) return false;
    Object.assign(e, { state: 'done', answer: copy(answer) });
    return true;
  }

  async release(ref: ClaimRef): Promise<void> {
    const e = this.#held(ref);
    if (e && !e.settling) this.#keys.delete(idOf(ref.scope, ref.key));
  }

  async inspect(scope: string, key: string): Promise<KeyDetail | null> {
    const e = this.#keys.get(idOf(scope, key));
    return e ? { ...record(e), answer: e.answer && copy(e.answer) } : null;
  }

  async list(options: ListOptions = {}): Promise<KeyRecord[]> {
    const after = options.after;
    return [...this.#keys.values()]
      .filter((e) => options.scope === undefined || e.scope === options.scope)
      .filter((e) => options.state === undefined || e.state === options.state)
      .filter((e) => !after || e.scope > after.scope || (e.scope === after.scope && e.key > after.key))
      .sort((a, b) => (a.scope < b.scope ? -1 : a.scope > b.scope ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .slice(0, options.limit ?? 100)
      .map(record);
  }

  async forget(scope: string, key: string): Promise<boolean> {
    const e = this.#keys.get(idOf(scope, key));
    if (!e || e.settling) return false;
    return this.#keys.delete(idOf(scope, key));
  }

  async purge(options: PurgeOptions = {}): Promise<number> {
    const now = this.#clock();
    const limit = (options.batchSize ?? 1_000) * (options.maxBatches ?? Infinity);
    let gone = 0;
    for (const [id, e] of this.#keys) {
      if (gone >= limit) break;
      if (e.expiresAt <= now && !e.settling) {
        this.#keys.delete(id);
        gone++;
      }
    }
    return gone;
  }

  async close(): Promise<void> {
    this.#keys.clear();
  }

  /** The entry `ref` still holds (running, same token), if any. */
  #held(ref: ClaimRef): Entry | undefined {
    const e = this.#keys.get(idOf(ref.scope, ref.key));
    return e && e.state === 'running' && e.token === ref.token ? e : undefined;
  }
}

const idOf = (scope: string, key: string): string => JSON.stringify([scope, key]);

function record(e: Entry): KeyRecord {
  const { scope, key, state, fingerprint, leaseUntil, expiresAt } = e;
  return { scope, key, state, fingerprint, leaseUntil, expiresAt, status: e.answer?.status ?? null };
}

/** Answers are copied in and out, so a caller that changes one changes nothing stored. */
function copy(a: StoredAnswer): StoredAnswer {
  return { status: a.status, headers: a.headers.map(([k, v]) => [k, v]), body: a.body.slice() };
}
