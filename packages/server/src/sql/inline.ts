import pg from 'pg';
import type { Statement } from './SqlStore.ts';

/**
 * `s` with its parameters written in as SQL literals, for the simple query protocol, which carries
 * several statements in one round trip but no parameters. Only for the store's own statements: their
 * text has no `$` inside a string literal, and their values are strings, finite numbers, booleans,
 * null or bytes. Strings go through `pg`'s `escapeLiteral`; bytes as hex, which needs no escaping.
 */
export function inline(s: Statement): string {
  return s.text.replace(/\$(\d+)/g, (_, n: string) => literal(s.params[Number(n) - 1]));
}

function literal(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'string') return pg.escapeLiteral(v);
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'boolean') return String(v);
  if (v instanceof Uint8Array)
    return `decode('${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')}', 'hex')`;
  throw new TypeError(`no SQL literal for ${typeof v}`);
}
