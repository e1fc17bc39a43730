/** Table names are interpolated into SQL: only plain lower-case identifiers are accepted. */
export const TABLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * The database's clock in ms since the epoch. Every lease and expiry is computed with it, never with an
 * app instance's clock, so instances whose clocks disagree still agree on when a lease ends.
 */
export const NOW_MS = `(extract(epoch from now()) * 1000)::bigint`;

/** The columns a key's row is read with (times as float8, which both drivers return as numbers). */
export const COLUMNS = `scope, key, state, fingerprint, token, lease_until::float8 AS lease_until,
  expires_at::float8 AS expires_at, status`;

export interface Row {
  scope: string;
  key: string;
  state: 'running' | 'done';
  fingerprint: string;
  token: string;
  lease_until: number;
  expires_at: number;
  status: number | null;
  headers?: [string, string][] | null;
  body?: Uint8Array | null;
}

/**
 * The schema, one statement each; run at open, safe to run again. Times are ms since the epoch by the
 * database's clock ({@link NOW_MS}).
 */
export function schemaSql(table: string): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${table} (
  scope text NOT NULL,
  key text NOT NULL,
  fingerprint text NOT NULL,
  state text NOT NULL CHECK (state IN ('running', 'done')),
  token text NOT NULL,
  lease_until bigint NOT NULL,
  expires_at bigint NOT NULL,
  status integer,
  headers jsonb,
  body bytea,
  PRIMARY KEY (scope, key)
)`,
    `CREATE INDEX IF NOT EXISTS ${table}_expires_at ON ${table} (expires_at)`,
  ];
}

/**
 * One statement claims a key, never waiting for another request: a new key is inserted (`ON CONFLICT DO
 * NOTHING` takes no row lock); an existing one is taken over only when it expired, or when its lease ran out
 * with the same fingerprint and no transaction holds its row (`FOR UPDATE SKIP LOCKED`); otherwise the row as
 * it is comes back. Params: scope, key, fingerprint, token, leaseMs, expiresMs.
 */
export function claimSql(t: string): string {
  return `WITH ins AS (
  INSERT INTO ${t} (scope, key, fingerprint, state, token, lease_until, expires_at)
  VALUES ($1, $2, $3, 'running', $4, ${NOW_MS} + $5::bigint, ${NOW_MS} + $6::bigint)
  ON CONFLICT (scope, key) DO NOTHING
  RETURNING token
), took AS (
  UPDATE ${t} SET fingerprint = $3, state = 'running', token = $4, lease_until = ${NOW_MS} + $5::bigint,
    expires_at = ${NOW_MS} + $6::bigint, status = NULL, headers = NULL, body = NULL
  WHERE NOT EXISTS (SELECT 1 FROM ins) AND (scope, key) IN (
    SELECT scope, key FROM ${t}
    WHERE scope = $1 AND key = $2
      AND (expires_at <= ${NOW_MS} OR (state = 'running' AND lease_until <= ${NOW_MS} AND fingerprint = $3))
    FOR UPDATE SKIP LOCKED)
  RETURNING token
)
SELECT coalesce((SELECT token FROM ins), (SELECT token FROM took)) AS won, r.state, r.fingerprint,
  greatest(r.lease_until - ${NOW_MS}, 0)::float8 AS lease_left, r.expires_at <= ${NOW_MS} AS expired,
  r.status, r.headers, r.body
FROM (SELECT 1) AS one LEFT JOIN ${t} AS r ON r.scope = $1 AND r.key = $2`;
}

/** The rows `ref` (scope $1, key $2, token $3) still holds, locked, skipping a row another transaction holds. */
export function heldSql(t: string): string {
  return `(scope, key) IN (SELECT scope, key FROM ${t}
    WHERE scope = $1 AND key = $2 AND token = $3 AND state = 'running' FOR UPDATE SKIP LOCKED)`;
}
