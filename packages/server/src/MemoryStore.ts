import type {
  ClaimInput,
  ClaimRef,
  ClaimResult,
  IdempotencyStore,
  SettleResult,
  Settlement,
  Sql,
  StoredAnswer,
} from './IdempotencyStore.ts';

interface Entry {
  state: 'running' | 'done';
  fingerprint: string;
  token: string;
  leaseUntil: number;
  expiresAt: number;
  answer: StoredAnswer | null;
  /** Set while a settle's work runs: a claim that would take the key over waits for it, as on a locked row. */
  settling?: Promise<void>;
}

/** What `settle`'s work gets: there is no database to write the app's data through. */
const NO_SQL: Sql = {
  query: () =>
    Promise.reject(new TypeError('MemoryStore has no database: use PgliteStore or PgStore for transaction: true')),
};

/**
 * Keys in this process's memory: the rules of the SQL stores (one winner per
 * key, leases, fingerprints, scopes, expiry; the store conformance suite
 * checks them), without a database. For tests and for trying things out:
 * keys are gone when the process ends, and nothing is shared between
 * processes. It has no transaction to run the app's writes in
 * (`transaction: true` needs PgliteStore or PgStore). It costs no event-loop
 * time, where PGlite runs each statement on the main thread.
 */
export class MemoryStore implements IdempotencyStore {
  readonly #keys = new Map<string, Entry>();

  async claim(c: ClaimInput): Promise<ClaimResult> {
    const id = idOf(c.scope, c.key);
    for (let e = this.#keys.get(id); e?.settling; e = this.#keys.get(id)) await e.settling;
    const e = this.#keys.get(id);
    const free =
      !e || e.expiresAt <= c.now || (e.state === 'running' && e.leaseUntil <= c.now && e.fingerprint === c.fingerprint);
    if (free) {
      const token = crypto.randomUUID();
      const leaseUntil = c.now + c.leaseMs;
      this.#keys.set(id, {
        state: 'running',
        fingerprint: c.fingerprint,
        token,
        leaseUntil,
        expiresAt: c.now + Math.max(c.expiresMs, c.leaseMs),
        answer: null,
      });
      return { kind: 'claimed', ref: { scope: c.scope, key: c.key, token }, leaseUntil };
    }
    if (e.state === 'done') return { kind: 'done', fingerprint: e.fingerprint, answer: copy(e.answer as StoredAnswer) };
    return { kind: 'running', fingerprint: e.fingerprint, leaseUntil: e.leaseUntil };
  }

  async settle<T>(ref: ClaimRef, work: (sql: Sql) => Promise<Settlement<T>>): Promise<SettleResult<T>> {
    const e = this.#held(ref);
    if (!e) return { ok: false, reason: 'lost' };
    let done!: () => void;
    e.settling = new Promise((resolve) => (done = resolve));
    try {
      const s = await work(NO_SQL);
      if (s.answer && !s.rollback) {
        Object.assign(e, { state: 'done', answer: copy(s.answer), expiresAt: s.expiresAt ?? e.expiresAt });
      } else {
        this.#keys.delete(idOf(ref.scope, ref.key));
      }
      return { ok: true, value: s.value };
    } catch (err) {
      this.#keys.delete(idOf(ref.scope, ref.key));
      throw err;
    } finally {
      delete e.settling;
      done();
    }
  }

  async complete(ref: ClaimRef, answer: StoredAnswer): Promise<boolean> {
    const e = this.#held(ref);
    if (!e) return false;
    Object.assign(e, { state: 'done', answer: copy(answer) });
    return true;
  }

  async release(ref: ClaimRef): Promise<void> {
    if (this.#held(ref)) this.#keys.delete(idOf(ref.scope, ref.key));
  }

  async inspect(scope: string, key: string) {
    const e = this.#keys.get(idOf(scope, key));
    if (!e) return null;
    return {
      state: e.state,
      fingerprint: e.fingerprint,
      leaseUntil: e.leaseUntil,
      expiresAt: e.expiresAt,
      answer: e.answer && copy(e.answer),
    };
  }

  async purge(now: number): Promise<number> {
    let gone = 0;
    for (const [id, e] of this.#keys) {
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

/** Answers are copied in and out, so a caller that changes one changes nothing stored. */
function copy(a: StoredAnswer): StoredAnswer {
  return { status: a.status, headers: a.headers.map(([k, v]) => [k, v]), body: a.body.slice() };
}
