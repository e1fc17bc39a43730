import type { OpSummary } from '@ferry/core/protocol';
import { clockTime } from './dom.ts';

/** What the chat shows for a message. */
export type MessageState = 'pending' | 'sending' | 'sent' | 'retrying' | 'failed';

export interface StateView {
  state: MessageState;
  /** A short line under the badge: when the next try is, or why it failed. */
  detail: string;
}

/**
 * Maps an op to the state a user reads. `retrying` is a pending op with a
 * retryable last error; an op put back by `retry()` keeps the old error but
 * is plainly `pending` again (its error was permanent, or attempts ran out).
 */
export function messageState(
  op: Pick<OpSummary, 'status' | 'attempt' | 'lastError' | 'nextAttemptAt' | 'held'>,
  now: number,
  online = true,
): StateView {
  switch (op.status) {
    case 'done':
      return { state: 'sent', detail: '' };
    case 'inflight':
      return { state: 'sending', detail: op.attempt > 0 ? `attempt ${op.attempt + 1}` : '' };
    case 'failed':
      return { state: 'failed', detail: op.lastError?.message ?? 'failed' };
    case 'pending': {
      if (op.held !== undefined) return { state: 'pending', detail: 'waiting for its author to sign in' };
      const e = op.lastError;
      if (!e || !e.retryable || e.message.startsWith('gave up'))
        return { state: 'pending', detail: online ? '' : 'waiting for the network' };
      const wait = op.nextAttemptAt - now;
      const when = !online
        ? 'next try when the network returns'
        : wait > 500
          ? `next try ${clockTime(op.nextAttemptAt)} (in ${Math.ceil(wait / 1000)} s)`
          : 'next try now';
      return { state: 'retrying', detail: `${when} · ${e.message}` };
    }
  }
}
