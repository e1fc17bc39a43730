import type { LastError, Operation, ServerAnswer } from '@ferry/core';

/**
 * A mutation's op became a dead letter: the server refused it for good, or its attempts or age ran
 * out. Carries the op as stored, so the app can show why (`reason`, the server's `answer`) and
 * act (`ferry.retry(op.id)`, `ferry.remove(op.id)`).
 */
export class DeadLetterError extends Error {
  override readonly name = 'DeadLetterError';
  /** Tells it apart from Ferry's own errors (`FerryError`), whose codes name a call's failure, not an op's. */
  readonly code = 'dead-letter';
  /** The failed op. */
  readonly op: Operation;

  constructor(op: Operation) {
    super(op.lastError?.message ?? `operation ${op.id} failed`);
    this.op = op;
  }

  /** Why the last attempt failed. */
  get reason(): LastError | undefined {
    return this.op.lastError;
  }

  /** What the server answered to the last send (a 409's or 422's body), when it answered. */
  get answer(): ServerAnswer | undefined {
    return this.op.answer;
  }
}
