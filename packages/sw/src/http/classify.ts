/**
 * How the HTTP transport reads an answer. The default:
 *
 * - 2xx: done;
 * - 3xx (an opaque redirect included), 401, a 403 that another op of the
 *   same user got from the same origin within a minute, and a 403 whose body
 *   says `user-mismatch` (the session is another user's): about the session,
 *   not the op (`session`): the user's lanes to that origin are held;
 * - 502, 503, 504: a gateway's answer (`gateway`), counted like no answer;
 * - 409 that says the first request with its key is still running (a
 *   `Retry-After`, or the key-in-use problem type of
 *   draft-ietf-httpapi-idempotency-key-header, "Error Scenarios"): `in-progress`;
 * - 408, 425, 429, other 5xx: `retryable`;
 * - every other status (other 4xx, a first 403, any other 409): `permanent`.
 */
import type { JsonValue } from '@ferry/core';

/**
 * What an answer means for the op: `ok` (done), `retryable` (again later,
 * an attempt spent), `gateway` (again later; spends an attempt only when the
 * origin answered other requests itself meanwhile), `in-progress` (again
 * after its `Retry-After`, free for a while), `session` (the user's lanes to
 * the origin are held until new credentials or a retry), `permanent` (failed).
 */
export type Verdict = 'ok' | 'retryable' | 'gateway' | 'in-progress' | 'session' | 'permanent';

/** What a classifier knows about the answer and the request it answers. */
export interface ClassifyContext {
  /**
   * Whether the request carried an `Idempotency-Key` (every single send and
   * every batch item does; a batch request itself does not).
   */
  idempotencyKey: boolean;
  /** Whether the answer carried a `Retry-After` header (a batch item: a `retryAfter`). */
  retryAfter: boolean;
  /** The answer's body when it was JSON or text within the cap (parsed JSON, or the text), else undefined. */
  body: JsonValue | undefined;
  /** The answer was a redirect seen as an opaque response (`redirect: 'manual'` gives status 0). */
  redirected: boolean;
  /** Another op of the same user (or of no user) got this same status from this origin within the last minute. */
  repeated: boolean;
}

export type Classify = (status: number, answer: ClassifyContext) => Verdict;

/** Problem types (or `code`s) that say "a request with this Idempotency-Key is still being processed". */
const KEY_IN_USE_TYPES = new Set([
  // @ferry/server's `code` member.
  'idempotency-key-in-use',
  // The example type of draft-ietf-httpapi-idempotency-key-header-07, "Error Scenarios" (its 409).
  'https://developer.example.com/idempotency',
]);

/** Whether a 409's body names the key in use: a problem `type`, a `code`, or the draft's title. */
export function saysKeyInUse(body: JsonValue | undefined): boolean {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  const { type, code, title } = body;
  return namesKeyInUse(type) || namesKeyInUse(code) || title === 'A request is outstanding for this Idempotency-Key';
}

function namesKeyInUse(v: JsonValue | undefined): boolean {
  return typeof v === 'string' && (KEY_IN_USE_TYPES.has(v) || v.endsWith('/idempotency-key-in-use'));
}

/** Whether a 403's body says the op's user is not the one signed in (`@ferry/server`'s `user-mismatch`). */
export function isUserMismatch(body: JsonValue | undefined): boolean {
  return typeof body === 'object' && body !== null && !Array.isArray(body) && body['code'] === 'user-mismatch';
}

export const defaultClassify: Classify = (status, a) => {
  if (a.redirected || (status >= 300 && status < 400)) return 'session';
  if (status >= 200 && status < 300) return 'ok';
  if (status === 401) return 'session';
  if (status === 403) return a.repeated || isUserMismatch(a.body) ? 'session' : 'permanent';
  if (status === 409) return a.idempotencyKey && (a.retryAfter || saysKeyInUse(a.body)) ? 'in-progress' : 'permanent';
  if (status === 502 || status === 503 || status === 504) return 'gateway';
  if (status === 408 || status === 425 || status === 429 || status >= 500) return 'retryable';
  return 'permanent';
};

/** Whether `classify` reads `status` alone (no body, no headers) as a gateway's: then it says nothing of the app. */
export function isGateway(classify: Classify, status: number): boolean {
  const bare: ClassifyContext = {
    idempotencyKey: false,
    retryAfter: false,
    body: undefined,
    redirected: false,
    repeated: false,
  };
  return classify(status, bare) === 'gateway';
}
