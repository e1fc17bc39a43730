import type { Operation } from '../Operation.ts';
import type { SendResult, Transport } from '../Transport.ts';

/**
 * A transport for tests: answers each send from a script (a function of the
 * op and how many times it was sent), and records every send in order. Its
 * batch mode behaves as a well-made server does: the ops in order, each
 * answered by the script, stopping at the first failure.
 */
export class ScriptedTransport implements Transport {
  readonly sent: Operation[] = [];
  /** The ids of each batch exchange, in order. */
  readonly batches: string[][] = [];
  readonly #script: (op: Operation, nth: number) => SendResult | Promise<SendResult>;
  readonly #count = new Map<string, number>();

  constructor(script: (op: Operation, nth: number) => SendResult | Promise<SendResult> = () => ({ ok: true })) {
    this.#script = script;
  }

  async send(op: Operation): Promise<SendResult> {
    const nth = (this.#count.get(op.id) ?? 0) + 1;
    this.#count.set(op.id, nth);
    this.sent.push(op);
    return this.#script(op, nth);
  }

  async sendBatch(ops: readonly Operation[]): Promise<SendResult[]> {
    this.batches.push(ops.map((o) => o.id));
    const results: SendResult[] = [];
    for (const op of ops) {
      const result = await this.send(op);
      results.push(result);
      if (!result.ok) break;
    }
    return results;
  }

  /** Ids in the order they were first sent. */
  get firstSends(): string[] {
    return [...new Set(this.sent.map((o) => o.id))];
  }

  timesSent(id: string): number {
    return this.#count.get(id) ?? 0;
  }
}
