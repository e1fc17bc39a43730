/**
 * How the HTTP transport reads a status. The default follows the spec:
 * 2xx done; 408, 425, 429, 5xx worth another try; a 409 answered to a
 * request that carried an `Idempotency-Key` means the first request with
 * that key is still running (draft-ietf-httpapi-idempotency-key-header-07,
 * "Error Scenarios"), so the op waits and tries again without spending an attempt; every
 * other status (3xx, other 4xx, 409 without a key) is permanent.
 */

/** What a status means for the op. */
export type Verdict = 'ok' | 'retryable' | 'in-progress' | 'permanent';

/** What a classifier knows about the request the status answers. */
export interface ClassifyContext {
  /** Whether the request carried an `Idempotency-Key` (every single send and every batch item does; a batch request itself does not). */
  idempotencyKey: boolean;
}

export type Classify = (status: number, request: ClassifyContext) => Verdict;

export const defaultClassify: Classify = (status, { idempotencyKey }) => {
  if (status >= 200 && status < 300) return 'ok';
  if (status === 409 && idempotencyKey) return 'in-progress';
  if (status === 408 || status === 425 || status === 429 || status >= 500) return 'retryable';
  return 'permanent';
};
