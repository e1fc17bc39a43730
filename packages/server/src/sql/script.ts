import pg from 'pg';
import type { Statement } from './SqlStore.ts';

/** What each connection has prepared with SQL `PREPARE`, by statement name. */
const preparedBy = new WeakMap<object, Set<string>>();

/**
 * `items` as one simple query, which carries several statements in one round trip but no parameters:
 * plain SQL as it is, and each {@link Statement} as `EXECUTE` of a statement `connection` prepared with
 * SQL `PREPARE` (parsed and planned once per connection; its first use sends the `PREPARE` along), its
 * parameters written in as literals. Returns the query and where each item's result is in the query's
 * array of results. A connection whose script failed must not be used again: what it prepared is unknown.
 */
export function script(connection: object, items: readonly (Statement | string)[]): { text: string; at: number[] } {
  let prepared = preparedBy.get(connection);
  if (!prepared) preparedBy.set(connection, (prepared = new Set()));
  const parts: string[] = [];
  const at: number[] = [];
  for (const item of items) {
    let sql = item;
    if (typeof item !== 'string') {
      const name = `ferry_sql_${statementName(item.text)}`;
      if (!prepared.has(name)) parts.push(`PREPARE ${name} AS ${item.text}`);
      prepared.add(name);
      sql = item.params.length > 0 ? `EXECUTE ${name}(${item.params.map(literal).join(', ')})` : `EXECUTE ${name}`;
    }
    at.push(parts.length);
    parts.push(sql as string);
  }
  return { text: parts.join('; '), at };
}

/** The names of the texts seen so far: a store runs a handful of statement texts, each many times. */
const names = new Map<string, string>();

/** A name for a statement's text, the same in every process (a statement is prepared once per connection). */
export function statementName(text: string): string {
  let name = names.get(text);
  if (name !== undefined) return name;
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  name = `${(h >>> 0).toString(16)}_${text.length}`;
  // Bounded, so that an app passing texts of its own through a store's driver cannot grow it forever.
  if (names.size < 256) names.set(text, name);
  return name;
}

/**
 * A value as an SQL literal: strings through `pg`'s `escapeLiteral`, bytes as hex (which needs no
 * escaping), finite numbers, booleans and null as they are.
 */
export function literal(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'string') return pg.escapeLiteral(v);
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'boolean') return String(v);
  if (v instanceof Uint8Array)
    return `decode('${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')}', 'hex')`;
  throw new TypeError(`no SQL literal for ${typeof v}`);
}
