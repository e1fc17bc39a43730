import { FerryError } from '../FerryError.ts';

const MAX_ID = 256;

/**
 * Checks a user id: a non-empty string of at most 256 characters without a
 * NUL. The same rule for an op's `user` (`invalid-operation`) and for the
 * page's `setUser`, `setCredentials` and `signOut` (`invalid-argument`).
 */
export function checkUserId(value: unknown, field: string, code: 'invalid-operation' | 'invalid-argument'): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw new FerryError(code, `${field} must be a non-empty string (a user id), got ${describe(value)}`);
  if (value.length > MAX_ID) throw new FerryError(code, `${field} is longer than ${MAX_ID} characters`);
  if (value.includes('\u0000')) throw new FerryError(code, `${field} must not contain a NUL character`);
  return value;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  return typeof value === 'string' ? JSON.stringify(value) : typeof value;
}
