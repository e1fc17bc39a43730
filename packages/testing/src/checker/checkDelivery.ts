import type { DeliveryCounts, DeliveryHistory, DeliveryReport, FinalOp, WireRequest } from './history.ts';

/** Problems listed per invariant, at most: the counts hold the totals. */
const LIST_AT_MOST = 10;

/**
 * Checks a run's delivery invariants: every acknowledged op took effect once
 * (or was refused as planned), never twice; within a lane the API saw the ops
 * in enqueue order; and no request came before the `Retry-After` of the
 * previous answer for its key was due.
 */
export function checkDelivery<O extends FinalOp>(history: DeliveryHistory<O>): DeliveryReport {
  const problems: string[] = [];
  const note = (kind: string, n: number, text: () => string): void => {
    if (n <= LIST_AT_MOST) problems.push(`${kind}: ${text()}`);
  };
  const opName = history.opName ?? ((op: O) => op.idempotencyKey);
  const byKey = groupByKey(history.wire);

  const effectsPerOp = new Map<string, number>();
  for (const e of history.effects) {
    const name = e.op ?? e.key ?? '';
    effectsPerOp.set(name, (effectsPerOp.get(name) ?? 0) + 1);
  }
  let appliedTwice = 0;
  for (const [name, n] of effectsPerOp) {
    if (n < 2) continue;
    appliedTwice += n - 1;
    note('applied twice', appliedTwice, () => `${name} took effect ${n} times`);
  }

  const byId = new Map(history.ops.map((op) => [op.id, op]));
  let lost = 0;
  let refused = 0;
  for (const id of history.acked) {
    const op = byId.get(id);
    if (op === undefined) {
      note('lost', ++lost, () => `acknowledged op ${id} is no longer stored`);
      continue;
    }
    if (history.refused?.has(id) === true) {
      const answers = (byKey.get(op.idempotencyKey) ?? []).map((r) => r.outcome);
      const status = op.lastError?.status;
      if (op.status === 'failed' && status !== undefined && answers.includes(status)) refused++;
      else
        note('lost', ++lost, () => {
          const why = op.lastError?.message ?? 'no error';
          return `op ${id} meant to be refused is ${op.status} (${why}; the API answered ${answers.join(',') || 'nothing'})`;
        });
      continue;
    }
    const applied = effectsPerOp.has(opName(op));
    if (op.status !== 'done' || !applied) {
      note('lost', ++lost, () => {
        const why = op.lastError === undefined ? '' : `: ${op.lastError.message}`;
        return `op ${id} is ${op.status}${applied ? '' : ', never applied'}${why}`;
      });
    }
  }

  const orderViolations = checkOrder(history, (n, text) => note('order', n, text));
  const earlyRetries = checkRetryAfter(history, byKey, (n, text) => note('early retry', n, text));
  const counts: DeliveryCounts = {
    acked: history.acked.length,
    wireRequests: history.wire.length,
    duplicatesOnWire: history.wire.length - byKey.size,
    appliedTwice,
    lost,
    orderViolations,
    earlyRetries,
    refused,
  };
  const ok = appliedTwice === 0 && lost === 0 && orderViolations === 0 && earlyRetries === 0;
  return { ok, counts, problems };
}

function groupByKey(wire: readonly WireRequest[]): Map<string, WireRequest[]> {
  const byKey = new Map<string, WireRequest[]>();
  for (const r of wire) {
    const list = byKey.get(r.key ?? '') ?? [];
    list.push(r);
    byKey.set(r.key ?? '', list);
  }
  return byKey;
}

type Note = (n: number, text: () => string) => void;

/** Pairs of one lane's ops whose first request (or first effect) came out of enqueue order. */
function checkOrder<O extends FinalOp>(history: DeliveryHistory<O>, note: Note): number {
  const firstSeen = new Map<string, number>();
  const seen = history.order === 'applied' ? history.effects : history.wire;
  seen.forEach((r, i) => {
    if (r.key !== null && !firstSeen.has(r.key)) firstSeen.set(r.key, i);
  });
  const lanes = new Map<string, FinalOp[]>();
  for (const op of history.ops) lanes.set(op.lane, [...(lanes.get(op.lane) ?? []), op]);
  let violations = 0;
  for (const [lane, ops] of lanes) {
    const arrived = [...ops]
      .sort((a, b) => a.seq - b.seq)
      .flatMap((op) => {
        const at = firstSeen.get(op.idempotencyKey);
        return at === undefined ? [] : [{ seq: op.seq, at }];
      });
    for (let i = 0; i < arrived.length; i++) {
      for (let j = i + 1; j < arrived.length; j++) {
        const [a, b] = [arrived[i], arrived[j]] as [{ seq: number; at: number }, { seq: number; at: number }];
        if (b.at < a.at) note(++violations, () => `lane ${lane}: seq ${b.seq} reached the API before seq ${a.seq}`);
      }
    }
  }
  return violations;
}

/** Requests sent before the previous answer's `Retry-After` for their key was due. */
function checkRetryAfter<O extends FinalOp>(
  history: DeliveryHistory<O>,
  byKey: Map<string, WireRequest[]>,
  note: Note,
): number {
  const stops = history.workerStops ?? [];
  const timeout = history.clientTimeoutMs ?? Infinity;
  const t0 = history.wire[0]?.at ?? 0;
  let early = 0;
  for (const [key, list] of byKey) {
    for (let i = 1; i < list.length; i++) {
      const prev = list[i - 1] as WireRequest;
      const next = list[i] as WireRequest;
      const { answeredAt, retryAfterMs } = prev;
      if (retryAfterMs === undefined || answeredAt === undefined) continue;
      // The client gave up by `sentAt + timeout` (it sends no later than it stamps, or than the recorder reads): an
      // answer written after that was never heard, however late the recorder read the request.
      if (answeredAt > (prev.sentAt ?? prev.at) + timeout) continue;
      if (stops.some(([from, to]) => to >= prev.at && from <= next.at)) continue;
      const due = answeredAt + retryAfterMs;
      if (next.at >= due) continue;
      note(++early, () => {
        const batch = prev.batched === true ? ' in a batch' : '';
        return (
          `key ${key}: sent again ${due - next.at} ms before its Retry-After was due (sent at +${prev.at - t0} ms` +
          `${batch}, answered ${String(prev.outcome)} at +${answeredAt - t0}, sent again at +${next.at - t0})`
        );
      });
    }
  }
  return early;
}
