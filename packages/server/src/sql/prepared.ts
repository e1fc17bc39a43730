import type { Statement } from './SqlStore.ts';
import { literal, statementName } from './script.ts';

/** SQLSTATE duplicate_prepared_statement. */
const ALREADY_PREPARED = '42P05';

/**
 * The store's statements on one PGlite session, each prepared once with SQL `PREPARE` (parsed and
 * planned once: a few times cheaper per run than a parameterised query, which PGlite parses every
 * time) and run as `EXECUTE` with its parameters written in as literals. `PREPARE` is not
 * transactional: what it prepared stays prepared whatever happens to the transaction around it.
 */
export class Prepared {
  readonly #done = new Set<string>();

  /**
   * The `EXECUTE` text of `s`, preparing it first through `run` (on the session, or the transaction
   * open on it) if it was not yet. A statement without parameters is returned as it is.
   */
  async text(s: Statement, run: (text: string) => Promise<unknown>): Promise<string> {
    if (s.params.length === 0) return s.text;
    const name = `ferry_sql_${statementName(s.text)}`;
    if (!this.#done.has(name)) {
      await run(`PREPARE ${name} AS ${s.text}`).catch((err: unknown) => {
        if ((err as { code?: unknown } | null)?.code !== ALREADY_PREPARED) throw err;
      });
      this.#done.add(name);
    }
    return `EXECUTE ${name}(${s.params.map(literal).join(', ')})`;
  }
}
