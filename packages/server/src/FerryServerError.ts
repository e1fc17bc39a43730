/**
 * What `@ferry/server` throws to the app (never to an HTTP client: those get
 * problem details). One class, a machine-readable `code`; tests assert on `code`.
 * It has the shape of `FerryError` in `@ferry/core` (`name`, `code`, `message`,
 * `cause`) with the server's own codes, and a code that means what one of
 * `FerryError`'s means has its name (`invalid-config`, `storage-unavailable`,
 * `unsupported`). The classes stay apart: a server's failures are not the
 * browser's, and neither union grows with the other's.
 */
export type FerryServerErrorCode =
  /** The layer or a store is configured in a way that cannot work (no scope, a lease of 0…); raised at creation. */
  | 'invalid-config'
  /**
   * The database could not be reached, or the connection of a request's transaction ended before it
   * committed (a restart, a failover, `pg_terminate_backend`, `idle_in_transaction_session_timeout`).
   */
  | 'storage-unavailable'
  /** What the store cannot do: `MemoryIdempotencyStore` has no database, so a query through `ctx.sql` rejects. */
  | 'unsupported';

export class FerryServerError extends Error {
  override readonly name = 'FerryServerError';

  readonly code: FerryServerErrorCode;

  constructor(code: FerryServerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
