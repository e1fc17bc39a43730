import { createHash } from 'node:crypto';

/** A response as the server first sent it, replayed for a repeated key. */
export interface StoredResponse {
  status: number;
  body: unknown;
}

export type Admission = { kind: 'new'; fingerprint: string } | { kind: 'replay'; response: StoredResponse } | { kind: 'in-progress' } | { kind: 'mismatch' };

/**
 * Deduplication by `Idempotency-Key`, as the IETF httpapi draft describes:
 * a key seen with a completed request replays that response; a key whose
 * first request is still running gets 409; the same key with a different
 * payload gets 422. Only successful outcomes are remembered: a request
 * rejected or failed before it took effect may be sent again with its key
 * (a poison message retried after the rule is fixed must go through).
 */
export class IdempotencyLedger {
  readonly #done = new Map<string, { fingerprint: string; response: StoredResponse }>();
  readonly #running = new Map<string, string>();

  static fingerprint(method: string, path: string, body: string): string {
    return createHash('sha256').update(`${method} ${path}\n${body}`).digest('base64url');
  }

  admit(key: string, fingerprint: string): Admission {
    const done = this.#done.get(key);
    if (done) return done.fingerprint === fingerprint ? { kind: 'replay', response: done.response } : { kind: 'mismatch' };
    const running = this.#running.get(key);
    if (running !== undefined) return running === fingerprint ? { kind: 'in-progress' } : { kind: 'mismatch' };
    this.#running.set(key, fingerprint);
    return { kind: 'new', fingerprint };
  }

  /** The request took effect: remember its response for replays. */
  succeed(key: string, fingerprint: string, response: StoredResponse): void {
    this.#running.delete(key);
    this.#done.set(key, { fingerprint, response });
  }

  /** The request took no effect: the key is free again. */
  release(key: string): void {
    this.#running.delete(key);
  }

  /** Restores a completed key (from the server's file after a restart). */
  restore(key: string, fingerprint: string, response: StoredResponse): void {
    this.#done.set(key, { fingerprint, response });
  }
}
