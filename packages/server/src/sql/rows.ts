import type { ClaimResult, KeyRecord, StoredAnswer } from '../IdempotencyStore.ts';
import type { Row } from './schema.ts';

/** The row a claim statement (`claimSql`) returns. */
export interface ClaimRow {
  won: string | null;
  state: 'running' | 'done' | null;
  fingerprint: string;
  lease_left: number;
  expired: boolean;
  status: number | null;
  headers: [string, string][] | null;
  body: Uint8Array | null;
}

/** What a claim statement's row says: `won` by `token`, another request's key, or undefined (try again). */
export function readClaim(
  r: ClaimRow | undefined,
  token: string,
): 'won' | Exclude<ClaimResult, { kind: 'claimed' }> | undefined {
  if (r?.won === token) return 'won';
  if (!r || r.state === null) return undefined;
  // An expired row another transaction holds (a takeover or a purge under way) is not an answer to replay.
  if (r.state === 'done' && !r.expired) return { kind: 'done', fingerprint: r.fingerprint, answer: toAnswer(r) };
  return { kind: 'running', fingerprint: r.fingerprint, retryAfterMs: r.expired ? 0 : r.lease_left };
}

export function toRecord(row: Row): KeyRecord {
  return {
    scope: row.scope,
    key: row.key,
    state: row.state,
    fingerprint: row.fingerprint,
    leaseUntil: row.lease_until,
    expiresAt: row.expires_at,
    status: row.status,
  };
}

export function toAnswer(row: Pick<Row, 'status' | 'headers' | 'body'>): StoredAnswer {
  return {
    status: row.status ?? 500,
    headers: row.headers ?? [],
    body: row.body ? new Uint8Array(row.body) : new Uint8Array(),
  };
}
