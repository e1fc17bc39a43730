/**
 * Every failure Ferry reports has one class and a machine-readable `code`.
 * Errors cross postMessage as `{ code, message }` and are rebuilt with
 * {@link FerryError.from}; tests assert on `code`, never on messages.
 */
export type FerryErrorCode =
  | 'invalid-operation'
  | 'payload-not-cloneable'
  | 'payload-too-large'
  | 'target-not-allowed'
  | 'duplicate-id'
  | 'not-found'
  | 'invalid-state'
  /** The op may have reached the server: not edited or removed in place; enqueue the change as a new op. */
  | 'possibly-delivered'
  /** An outcome was recorded for a claim that no longer holds the op (its lease ended and the op was claimed again): nothing changed. */
  | 'lease-superseded'
  | 'quota-exceeded'
  | 'storage-unavailable'
  /** The browser dropped Ferry's database (and the ops in it) and started an empty one. */
  | 'storage-lost'
  | 'corrupt-record'
  | 'worker-timeout'
  | 'protocol-error'
  | 'unsupported'
  | 'closed'
  /** The app configured Ferry in a way that cannot work (a lease shorter than the send timeout...). */
  | 'invalid-config'
  /** A call's argument is not what it must be (a user id that is not a string, credentials that are not headers...); nothing changed. */
  | 'invalid-argument'
  /**
   * The user was signed out (in this tab or another) since this page signed
   * them in: credentials it gives for them are refused, and an enqueue stamped
   * with them is refused, until the app signs a user in again (`setUser`).
   */
  | 'signed-out'
  /** A bug, not a condition the app can act on; the message says where. */
  | 'internal';

/** The plain shape an error takes on the wire. */
export interface FerryErrorData {
  code: FerryErrorCode;
  message: string;
}

export class FerryError extends Error {
  override readonly name = 'FerryError';

  readonly code: FerryErrorCode;

  constructor(code: FerryErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /** The structured-clone-safe form sent across postMessage. */
  toJSON(): FerryErrorData {
    return { code: this.code, message: this.message };
  }

  /**
   * Rebuilds an error received from another context. Anything that is not a
   * `{ code, message }` of two strings becomes a `protocol-error`. The code is
   * kept as sent, unchecked against the list above: the host only sends codes
   * it made, and a newer host's new code says more than `protocol-error` would.
   */
  static from(data: unknown): FerryError {
    if (data instanceof FerryError) return data;
    if (typeof data === 'object' && data !== null) {
      const { code, message } = data as Record<string, unknown>;
      if (typeof code === 'string' && typeof message === 'string')
        return new FerryError(code as FerryErrorCode, message);
    }
    return new FerryError('protocol-error', `malformed error: ${String(data)}`);
  }
}
