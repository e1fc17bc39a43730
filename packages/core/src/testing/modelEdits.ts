/**
 * The app's edits in the delivery model (see deliveryModel.ts): documents
 * saved with coalescing enqueues, edited with `update`, removed, and saves
 * repeated as a client does after a `worker-timeout`. It keeps, per document,
 * the value the app last wrote into each of its ops, so that the model can
 * tell what the server must end with, and it checks that no op whose key was
 * ever sent is edited in place.
 */
import { FerryError } from '../FerryError.ts';
import type { Operation, OperationInput } from '../Operation.ts';
import type { Outbox } from '../outbox/Outbox.ts';
import type { ModelServer } from './modelServer.ts';

interface Doc {
  /** The last edit the app made (`v` counts them). */
  version: number;
  /** The doc's ops the app still has, with the `v` it last put in each. */
  ops: Map<string, number>;
  /** An op of it failed, was removed or corrupted: its final value is the app's choice, not checked. */
  tainted: boolean;
}

/** Codes with which the app is told to enqueue the edit as a new op instead. */
const EDIT_ELSEWHERE = new Set(['possibly-delivered', 'invalid-state', 'not-found']);

export class ModelEdits {
  readonly docs: Doc[];
  readonly #lanes: readonly string[];
  readonly #server: ModelServer;
  readonly #created: (id: string) => void;
  readonly #gone: (id: string) => void;
  readonly #opDoc = new Map<string, number>();
  #saves = 0;
  /** Saves that folded into an op made before them: the repeats that can go wrong. */
  readonly #folded: { input: OperationInput; id: string }[] = [];
  #lastSave: { input: OperationInput; id: string } | undefined;

  /**
   * @param lanes document `i` lives in lane `lanes[i]`
   * @param created told of every op a save created
   * @param gone told of every op a removal deleted
   */
  constructor(
    lanes: readonly string[],
    server: ModelServer,
    created: (id: string) => void,
    gone: (id: string) => void,
  ) {
    this.#lanes = lanes;
    this.docs = lanes.map(() => ({ version: 0, ops: new Map(), tainted: false }));
    this.#server = server;
    this.#created = created;
    this.#gone = gone;
  }

  #doc(doc: number): Doc {
    return this.docs[doc % this.docs.length] as Doc;
  }

  #wasSent(op: Operation, what: string): void {
    if (this.#server.sentKeys.has(op.idempotencyKey))
      this.#server.violations.push(`${what} ${op.id}, whose key was sent`);
  }

  /** The app saves document `doc`: a coalescing enqueue with its next version. */
  async save(outbox: Outbox, doc: number, v = ++this.#doc(doc).version): Promise<void> {
    const d = doc % this.docs.length;
    const input: OperationInput = {
      id: `save-${++this.#saves}`,
      kind: 'doc.save',
      target: '/docs',
      lane: this.#lanes[d] as string,
      payload: { doc: d, v },
      coalesce: { key: `doc:${d}` },
    };
    const op = await outbox.enqueue(input);
    if (op.id !== input.id) this.#wasSent(op, 'folded into');
    else this.#created(op.id);
    this.#opDoc.set(op.id, d);
    this.#doc(d).ops.set(op.id, v);
    this.#lastSave = { input, id: op.id };
    if (op.id !== input.id) this.#folded.push(this.#lastSave);
  }

  /** The app edits its latest op of `doc`; refused, it enqueues the edit as a new op, as the error says. */
  async edit(outbox: Outbox, doc: number): Promise<void> {
    const d = this.#doc(doc);
    const latest = this.#latest(d);
    const v = ++d.version;
    try {
      if (latest === undefined) throw new FerryError('not-found', 'no op of this document');
      const op = await outbox.update(latest, { payload: { doc: doc % this.docs.length, v } });
      this.#wasSent(op, 'updated');
      d.ops.set(op.id, v);
    } catch (err) {
      if (!(err instanceof FerryError && EDIT_ELSEWHERE.has(err.code))) throw err;
      await this.save(outbox, doc, v);
    }
  }

  /** The app removes its latest op of `doc`; refused, it keeps it. */
  async remove(outbox: Outbox, doc: number): Promise<void> {
    const d = this.#doc(doc);
    const latest = this.#latest(d);
    if (latest === undefined) return;
    try {
      const op = await outbox.remove(latest);
      // A dead letter may be removed although it was sent; any other op removed must never have been.
      if (op.status !== 'failed') this.#wasSent(op, 'removed');
      d.ops.delete(op.id);
      this.#gone(op.id);
    } catch (err) {
      if (!(err instanceof FerryError && EDIT_ELSEWHERE.has(err.code))) throw err;
    }
  }

  /** The client repeats a save (same id) after a timeout, one that folded when there is one: it must resolve to the same op. */
  async repeat(outbox: Outbox, pick: number): Promise<void> {
    const last = this.#folded.length > 0 ? this.#folded[pick % this.#folded.length] : this.#lastSave;
    if (!last || !(await outbox.get(last.id))) return;
    const op = await outbox.enqueue(last.input);
    if (op.id !== last.id) this.#server.violations.push(`a repeated save resolved to ${op.id}, not ${last.id}`);
  }

  #latest(d: Doc): string | undefined {
    return [...d.ops].sort((a, b) => b[1] - a[1])[0]?.[0];
  }

  /** The op `id` failed, was removed or corrupted: its document's final value is not checked. */
  taint(id: string): void {
    const doc = this.#opDoc.get(id);
    if (doc !== undefined) this.#doc(doc).tainted = true;
  }

  /**
   * Once every op is settled: each document whose ops all ended done holds
   * the last edit the app made (the highest `v` left in its ops), reached
   * through edits applied in order, each once.
   */
  finalProblems(ops: readonly Operation[]): string[] {
    const status = new Map(ops.map((o) => [o.id, o.status]));
    const problems: string[] = [];
    this.docs.forEach((d, i) => {
      const values = [...d.ops.values()];
      if (d.tainted || values.length === 0 || [...d.ops.keys()].some((id) => status.get(id) !== 'done')) return;
      const applied = this.#server.docs.get(i) ?? [];
      const want = Math.max(...values);
      if (applied.at(-1) !== want) problems.push(`doc ${i} ended at v${applied.at(-1)}, not the last edit v${want}`);
      if (applied.some((v, k) => k > 0 && v <= (applied[k - 1] as number)))
        problems.push(`doc ${i} applied out of order: ${applied.join(',')}`);
    });
    return problems;
  }
}
