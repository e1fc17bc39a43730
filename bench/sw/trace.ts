/**
 * Timing breakdown for `--profile` runs: wraps the host's store and transport
 * to record each transaction (mode, the store calls it made, how long from
 * request to commit) and each send. Only the profiling build's worker uses it.
 */
import type { OutboxStore, OutboxTx, Transport } from '@ferry/core';

interface Row {
  n: number;
  ms: number;
}
const rows = new Map<string, Row>();
let t0 = performance.now();

function record(key: string, ms: number): void {
  const r = rows.get(key) ?? { n: 0, ms: 0 };
  r.n++;
  r.ms += ms;
  rows.set(key, r);
}

export function traceStore(store: OutboxStore): OutboxStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop !== 'transaction') return Reflect.get(target, prop, receiver);
      return async (mode: 'readonly' | 'readwrite', fn: (tx: OutboxTx) => Promise<unknown>) => {
        const calls = new Set<string>();
        const t = performance.now();
        try {
          return await target.transaction(mode, (tx) =>
            fn(
              new Proxy(tx, {
                get(x, p, r) {
                  const v = Reflect.get(x, p, r) as unknown;
                  if (typeof v !== 'function') return v;
                  calls.add(String(p));
                  return (v as (...a: unknown[]) => unknown).bind(x);
                },
              }),
            ),
          );
        } finally {
          record(`tx ${mode} [${[...calls].join(',')}]`, performance.now() - t);
        }
      };
    },
  });
}

export function traceTransport(transport: Transport): Transport {
  return {
    send: async (op, ctx) => {
      const t = performance.now();
      try {
        return await transport.send(op, ctx);
      } finally {
        record('send (fetch)', performance.now() - t);
      }
    },
    ...(transport.sendBatch && {
      sendBatch: async (ops, ctx) => {
        const t = performance.now();
        try {
          return await (transport.sendBatch as NonNullable<Transport['sendBatch']>).call(transport, ops, ctx);
        } finally {
          record('sendBatch (fetch)', performance.now() - t);
        }
      },
    }),
  };
}

/** Rows since the last call, then resets. */
export function traceDump(): { wallMs: number; rows: Record<string, { n: number; ms: number; meanMs: number }> } {
  const out = Object.fromEntries(
    [...rows]
      .sort((a, b) => b[1].ms - a[1].ms)
      .map(([k, r]) => [k, { n: r.n, ms: Math.round(r.ms), meanMs: Number((r.ms / r.n).toFixed(2)) }]),
  );
  const wallMs = Math.round(performance.now() - t0);
  rows.clear();
  t0 = performance.now();
  return { wallMs, rows: out };
}
