import type {
  ClaimInput,
  ClaimRef,
  ClaimResult,
  Settlement,
  Sql,
  StoredAnswer,
  TransactResult,
} from '../IdempotencyStore.ts';
import { SqlStore } from './SqlStore.ts';

/** A claim this store holds right now, known without asking the database. */
interface Held {
  /** Empty while the claim is inside a transaction that has not committed it ({@link OneConnectionStore.transact}). */
  token: string;
  fingerprint: string;
  /** By this process's clock, which is the database's own (it runs in this process). */
  leaseUntil: number;
  settling: boolean;
}

/**
 * A {@link SqlStore} on a database with a single connection (PGlite, in this thread or a worker):
 * transactions, and so with `effects: 'in-transaction'` the app's handlers, run one at a time, and a
 * statement waits for the open one. A claim of a key this store holds is therefore answered from
 * memory at once (running, 409), never sent to wait behind the transaction that holds the key.
 */
export class OneConnectionStore extends SqlStore {
  readonly #held = new Map<string, Held>();

  override async claim(c: ClaimInput): Promise<ClaimResult> {
    const id = JSON.stringify([c.scope, c.key]);
    const now = Date.now();
    const running = this.#running(id, now);
    if (running) return running;
    const result = await super.claim(c);
    if (result.kind === 'claimed')
      this.#held.set(id, {
        token: result.ref.token,
        fingerprint: c.fingerprint,
        leaseUntil: now + c.leaseMs,
        settling: false,
      });
    return result;
  }

  /**
   * The claim inside the transaction ({@link SqlStore.claimsInTransaction}): BEGIN, the claim, the work, the
   * stored answer, COMMIT. The key is held in memory from the start, so a duplicate is answered at once
   * while the transaction waits for the connection.
   */
  override async transact<T>(c: ClaimInput, work: (sql: Sql) => Promise<Settlement<T>>): Promise<TransactResult<T>> {
    const id = JSON.stringify([c.scope, c.key]);
    const now = Date.now();
    const running = this.#running(id, now);
    if (running) return running;
    const mine: Held = { token: '', fingerprint: c.fingerprint, leaseUntil: now + c.leaseMs, settling: true };
    this.#held.set(id, mine);
    try {
      return await super.transact(c, work);
    } finally {
      if (this.#held.get(id) === mine) this.#held.delete(id);
    }
  }

  protected override get claimsInTransaction(): boolean {
    return true;
  }

  override async complete(ref: ClaimRef, answer: StoredAnswer): Promise<boolean> {
    try {
      return await super.complete(ref, answer);
    } finally {
      this.#forget(ref);
    }
  }

  override async release(ref: ClaimRef): Promise<void> {
    try {
      await super.release(ref);
    } finally {
      this.#forget(ref);
    }
  }

  override async forget(scope: string, key: string): Promise<boolean> {
    // A transaction holds the key (and PGlite's one connection): the delete would wait for it.
    if (this.#held.get(JSON.stringify([scope, key]))?.settling) return false;
    return super.forget(scope, key);
  }

  /** What a claim of a key a request of this store holds gets, if one does. */
  #running(id: string, now: number): Extract<ClaimResult, { kind: 'running' }> | undefined {
    const held = this.#held.get(id);
    if (held && (held.settling || held.leaseUntil > now))
      return { kind: 'running', fingerprint: held.fingerprint, retryAfterMs: Math.max(0, held.leaseUntil - now) };
    return undefined;
  }

  #mine(ref: ClaimRef): Held | undefined {
    const held = this.#held.get(JSON.stringify([ref.scope, ref.key]));
    return held?.token === ref.token ? held : undefined;
  }

  #forget(ref: ClaimRef): void {
    if (this.#mine(ref)) this.#held.delete(JSON.stringify([ref.scope, ref.key]));
  }
}
