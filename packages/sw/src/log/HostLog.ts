import type { Change, FerryErrorCode } from '@ferry/core';
import type { HOST_EVENTS } from '@ferry/core';
import type { Logger } from '@ferry/core/internal';
import { errorData } from '@ferry/core/internal';

type HostEvent = keyof typeof HOST_EVENTS;
import { FerryError } from '@ferry/core';

/** The event an error reported to the host is logged as, by its code; any other error is `host.error`. */
const BY_CODE: Partial<Record<FerryErrorCode, HostEvent>> = {
  'lease-superseded': 'lease.superseded',
  'quota-exceeded': 'storage.quota',
  'corrupt-record': 'storage.corrupt',
  'storage-lost': 'storage.lost',
  'storage-unavailable': 'storage.failed',
};

/**
 * What the host logs: one event per committed change (each is one WAL
 * transition), and the errors it is told about, each by its code. Changes
 * come from the Outbox's subscription, so every path that writes (a drain,
 * a page request, a release) is logged by this one place.
 */
export class HostLog {
  readonly #log: Logger<HostEvent>;
  /** Ops released from a hold for credentials and not yet sent again with the new ones. */
  readonly #released = new Set<string>();

  constructor(log: Logger<HostEvent>) {
    this.#log = log;
  }

  /** Logs a committed change as `op.<type>`. */
  change(change: Change): void {
    this.#op(change);
    this.#credentials(change);
  }

  #op({ type, op }: Change): void {
    const name = `op.${type}` as HostEvent;
    if (!this.#log.wants(name)) return;
    const err = op.lastError;
    const waits = type === 'retry' || type === 'defer';
    this.#log.emit(name, {
      opId: op.id,
      lane: op.lane,
      attempt: op.attempt,
      ...(err?.status !== undefined && { status: err.status }),
      ...(waits && { retryAfterMs: Math.max(0, op.nextAttemptAt - op.updatedAt) }),
      ...(type === 'hold' || type === 'defer'
        ? op.held !== undefined && { reason: op.held }
        : (type === 'fail' || type === 'retry') && err !== undefined && { reason: err.message }),
    });
  }

  /**
   * `credentials.refused`: an op released from a hold (every hold waits for
   * credentials: new ones came) is held again before it got any other answer.
   */
  #credentials({ type, op }: Change): void {
    if (type === 'release') this.#released.add(op.id);
    else if (type === 'hold' && this.#released.delete(op.id)) {
      if (this.#log.wants('credentials.refused'))
        this.#log.emit('credentials.refused', { opId: op.id, lane: op.lane, reason: op.held as string });
    } else if (type !== 'claim' && type !== 'send') this.#released.delete(op.id);
  }

  /** Logs an error the host was told about. */
  readonly error = (err: unknown): void => {
    this.#report((err instanceof FerryError && BY_CODE[err.code]) || 'host.error', err);
  };

  /** Logs a Background Sync registration the browser refused. */
  readonly syncRefused = (err: unknown): void => this.#report('sync.refused', err);

  #report(name: HostEvent, err: unknown): void {
    if (this.#log.wants(name)) this.#log.emit(name, { error: errorData(err) });
  }
}
