/**
 * Every answer the layer makes up itself is an RFC 9457 problem details
 * object (`application/problem+json`). `type` is `about:blank`, so `title`
 * is the HTTP status phrase (RFC 9457 §4.2.1); the machine-readable reason
 * is the `code` extension member, and tests assert on it.
 * @see https://www.rfc-editor.org/rfc/rfc9457
 */
export type ProblemCode =
  /** The route requires an `Idempotency-Key` and the request had none (IETF draft §2.7). */
  | 'idempotency-key-missing'
  /** The key is empty, too long, or has characters outside visible ASCII. */
  | 'idempotency-key-invalid'
  /** A request with this key is still being processed (IETF draft §2.7: 409). */
  | 'idempotency-key-in-use'
  /** The key was used before with another payload (IETF draft §2.7: 422). */
  | 'idempotency-key-reused'
  /** The app gave no scope (user or tenant) for a keyed request. */
  | 'scope-missing'
  | 'body-too-large'
  | 'body-unreadable'
  /** The JSON body names one member twice: parsers disagree on which one counts, so it is refused. */
  | 'body-duplicate-member'
  | 'batch-malformed'
  | 'batch-empty'
  | 'batch-too-large'
  | 'method-not-allowed'
  /** An admin route (`createAdminHandler`) was given a query it cannot use. */
  | 'admin-query-invalid'
  /** No admin route or key by this path. */
  | 'not-found'
  /** The request's op belongs to another user than the session's (`Ferry-User`); nothing was applied. */
  | 'user-mismatch'
  /**
   * The key store could not be reached, or the request's database connection ended before it committed
   * (then a resend with the same key gets the stored answer if the commit went through).
   */
  | 'storage-unavailable'
  /** The app's handler threw; no answer was stored (the detail says what that means for its effects). */
  | 'handler-failed';

const PHRASES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export interface ProblemBody {
  type: 'about:blank';
  title: string;
  status: number;
  detail: string;
  code: ProblemCode;
}

/** A problem details response; `headers` adds e.g. `Retry-After`. */
export function problem(
  status: number,
  code: ProblemCode,
  detail: string,
  headers: Record<string, string> = {},
): Response {
  const body: ProblemBody = { type: 'about:blank', title: PHRASES[status] ?? 'Error', status, detail, code };
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/problem+json', 'cache-control': 'no-store', ...headers },
  });
}
