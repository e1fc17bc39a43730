/** The bench's own messages between its page and the workbox and floor workers. */

/** One op of a bench scenario, as each side gets it. */
export interface BenchOp {
  id: string;
  target: string;
  lane: string;
  key: string;
  payload: { lane: string; seq: number; id: string; text: string; created_at: number };
}

export type BenchRequest =
  | { type: 'push'; op: BenchOp }
  | { type: 'replay' }
  | { type: 'put'; op: BenchOp }
  | { type: 'fetchAll'; ops: BenchOp[]; concurrency: number };

export type BenchReply = { ok: true; result: unknown } | { ok: false; error: string };

/** The ops of a scenario: `n` messages spread round-robin over `lanes` lanes. */
export function benchOps(n: number, lanes: number, tag: string): BenchOp[] {
  return Array.from({ length: n }, (_, seq) => {
    const lane = `${tag}-${seq % lanes}`;
    const id = `${tag}-${seq}`;
    return {
      id,
      target: '/api/messages',
      lane,
      key: `key-${id}`,
      payload: { lane, seq, id, text: `message number ${seq} from the benchmark`, created_at: 1_710_000_000_000 + seq },
    };
  });
}
