/**
 * What `@ferry/server` throws to the app (never to an HTTP client: those get
 * problem details). One class, a machine-readable `code`, as `FerryError` in
 * `@ferry/core`; tests assert on `code`.
 */
export type FerryServerErrorCode =
  /** The layer or a store is configured in a way that cannot work (no scope, a lease of 0…); raised at creation. */
  | 'invalid-config'
  /**
   * The database could not be reached, or the connection of a request's transaction ended before it
   * committed (a restart, a failover, `pg_terminate_backend`, `idle_in_transaction_session_timeout`).
   */
  | 'storage-unavailable';

export class FerryServerError extends Error {
  override readonly name = 'FerryServerError';

  readonly code: FerryServerErrorCode;

  constructor(code: FerryServerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
