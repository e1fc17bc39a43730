import type { FerryClient } from '@ferry/client';
import type { JsonValue, Operation } from '@ferry/core';
import type { ChangeSummary, OpSummary } from '@ferry/core/protocol';

/** An op as the page knows it: the broadcast fields, plus the payload once fetched. */
export interface OpRow extends OpSummary {
  payload?: JsonValue;
  createdAt?: number;
}

const FEED_SIZE = 60;

const row = (op: Operation): OpRow => {
  const { id, status, attempt, lastError, nextAttemptAt, lane, kind, seq, payload, createdAt, user, held, answer } = op;
  return {
    id,
    status,
    attempt,
    nextAttemptAt,
    lane,
    kind,
    seq,
    payload,
    createdAt,
    ...(lastError && { lastError }),
    ...(user !== undefined && { user }),
    ...(held !== undefined && { held }),
    ...(answer !== undefined && { answer }),
  };
};

/**
 * The page's copy of the outbox: loaded with `list()`, kept current by
 * `subscribe()`, which every tab's and the worker's changes reach. Also keeps
 * the last changes, newest first: the WAL as it is written.
 */
export class OpMirror {
  readonly ops = new Map<string, OpRow>();
  readonly feed: ChangeSummary[] = [];
  /** The last send's outcome, from the changes: `done` is a success, `retry` and `fail` with an error are not. */
  lastSend: { ok: boolean; at: number; message: string } | undefined;
  readonly #client: FerryClient;
  readonly #listeners = new Set<() => void>();

  constructor(client: FerryClient) {
    this.#client = client;
  }

  /** Subscribes, then loads: a change between the two is applied on top of the list. Returns a cleanup. */
  async start(): Promise<() => void> {
    const off = this.#client.subscribe((c) => this.#apply(c));
    const ops = await this.#client.list({ limit: 10_000 });
    for (const op of ops) if (!this.ops.has(op.id)) this.ops.set(op.id, row(op));
    this.#emit();
    return off;
  }

  onChange(fn: () => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  #apply(change: ChangeSummary): void {
    this.feed.unshift(change);
    this.feed.length = Math.min(this.feed.length, FEED_SIZE);
    const { op } = change;
    if (change.type === 'done') this.lastSend = { ok: true, at: Date.now(), message: 'delivered' };
    else if ((change.type === 'retry' || change.type === 'fail') && op.lastError) {
      this.lastSend = { ok: false, at: op.lastError.at, message: op.lastError.message };
    }
    if (change.type === 'remove') {
      this.ops.delete(op.id);
    } else {
      const known = this.ops.get(op.id);
      // `done` is final: a change that arrives late never takes an op back from it.
      if (known?.status === 'done' && op.status !== 'done') return this.#emit();
      const next: OpRow = { ...known, ...op };
      if (!op.lastError) delete next.lastError;
      this.ops.set(op.id, next);
      // An edit or a coalesced enqueue changed the payload, which a change does not carry.
      if (known?.payload === undefined || change.type === 'update') void this.#fetch(op.id);
    }
    this.#emit();
  }

  async #fetch(id: string): Promise<void> {
    const op = await this.#client.get(id).catch(() => undefined);
    const known = this.ops.get(id);
    if (!op || !known) return;
    this.ops.set(id, { ...known, payload: op.payload, createdAt: op.createdAt });
    this.#emit();
  }

  #emit(): void {
    for (const fn of this.#listeners) fn();
  }
}
