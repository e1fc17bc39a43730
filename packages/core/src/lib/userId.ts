import { FerryError } from '../FerryError.ts';

const MAX_ID = 256;

/**
 * Checks a name (an op's id, kind, lane, key, user): a non-empty string of at
 * most 256 characters, and with `noNul` without a NUL (a lane and a user are
 * joined by one in the store). Throws `code`, naming `field` and, as `what`,
 * what the name is for (` (a user id)`).
 */
export function checkName(
  value: unknown,
  field: string,
  code: 'invalid-operation' | 'invalid-argument',
  noNul = false,
  what = '',
): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw new FerryError(code, `${field} must be a non-empty string${what}, got ${describe(value)}`);
  if (value.length > MAX_ID) throw new FerryError(code, `${field} is longer than ${MAX_ID} characters`);
  if (noNul && value.includes('\u0000')) throw new FerryError(code, `${field} must not contain a NUL character`);
  return value;
}

/**
 * Checks a user id: a name without a NUL ({@link checkName}). The same rule for an op's `user`
 * (`invalid-operation`) and for the page's `setUser`, `setCredentials` and `signOut` (`invalid-argument`).
 */
export function checkUserId(value: unknown, field: string, code: 'invalid-operation' | 'invalid-argument'): string {
  return checkName(value, field, code, true, ' (a user id)');
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  return typeof value === 'string' ? JSON.stringify(value) : typeof value;
}
