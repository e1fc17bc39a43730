import type { Worker } from 'node:worker_threads';
import { FerryServerError } from '../FerryServerError.ts';
import type { Sql } from '../IdempotencyStore.ts';
import { Prepared } from './prepared.ts';
import type { Closing, Opened, Opening, SqlDriver, Statement } from './SqlStore.ts';

/**
 * The worker's program (CommonJS, evaluated as given, so that no build has to ship or locate a file of
 * its own): one PGlite, statements run in the order they arrive. A transaction opened by `begin` stays
 * open across messages until its `end` (PGlite runs one transaction at a time; a statement outside it
 * waits). Errors go back with their message and the string fields a Postgres error carries (`code`,
 * `detail`, `constraint`…).
 */
const PROGRAM = `
const { parentPort, workerData } = require('node:worker_threads');
const { PGlite } = require(workerData.pglite);
const db = new PGlite(workerData.dataDir);
const open = new Map();
const reply = (id, rows) => parentPort.postMessage({ id, rows });
// A script (m.script: the store's EXECUTE of a prepared statement) or one query with its parameters.
const run = (on, m) =>
  m.script ? on.exec(m.text).then((rs) => (rs.length ? rs[rs.length - 1].rows : [])) : on.query(m.text, m.params).then((r) => r.rows);
const fail = (id, err) => {
  const error = { message: String((err && err.message) || err) };
  for (const [k, v] of Object.entries(typeof err === 'object' && err ? err : {})) if (typeof v === 'string' && k !== 'message') error[k] = v;
  parentPort.postMessage({ id, error });
};
parentPort.on('message', (m) => {
  if (m.op === 'query') {
    const on = m.tx === undefined ? db : open.get(m.tx)?.tx;
    if (!on) return fail(m.id, new Error('the transaction has ended'));
    run(on, m).then((rows) => reply(m.id, rows), (e) => fail(m.id, e));
  } else if (m.op === 'begin') {
    let end;
    const ended = new Promise((r) => (end = r));
    db.transaction(async (tx) => {
      open.set(m.id, { tx, end });
      reply(m.id, await run(tx, m));
      const e = await ended;
      if (!e.last) throw Object.assign(new Error('rolled back'), { rolledBack: e.id });
      await run(tx, e.last);
      return e.id;
    }).then(
      (id) => (open.delete(m.id), reply(id, [])),
      (err) => {
        const o = open.get(m.id);
        open.delete(m.id);
        if (err && err.rolledBack !== undefined) reply(err.rolledBack, []);
        else if (o && o.endId !== undefined) fail(o.endId, err);
        else fail(m.id, err);
      },
    );
  } else if (m.op === 'end') {
    const o = open.get(m.tx);
    if (!o) return fail(m.id, new Error('the transaction has ended'));
    o.endId = m.id;
    o.end({ id: m.id, last: m.last });
  } else if (m.op === 'close') {
    db.close().then(() => reply(m.id, []), (e) => fail(m.id, e));
  }
});
`;

interface Reply {
  id: number;
  rows?: unknown[];
  error?: { message: string } & Record<string, string>;
}

/** The app's statements on the worker's PGlite, as given (parameterised queries). */
export interface ThreadSql extends Sql {
  readonly worker: Worker;
}

/** A {@link SqlDriver} whose PGlite runs in a worker thread; `sql` runs the app's statements there too. */
export interface ThreadDriver extends SqlDriver {
  readonly sql: ThreadSql;
}

/**
 * PGlite in a worker thread: its WebAssembly runs there, off the thread that serves requests, and every
 * statement (the app's `ctx.sql` ones too) is a message to it. The worker holds the process open only
 * while a statement is waiting for it. If it dies (a crash, an abort of the WebAssembly), every statement
 * waiting and every later one rejects with `FerryServerError('storage-unavailable')`, which the layer
 * answers 503: the process keeps serving, and a restart opens the database again.
 */
export function pgliteThread(dataDir: string | undefined): ThreadDriver {
  const threads = globalThis.process?.getBuiltinModule?.('node:worker_threads');
  const modules = globalThis.process?.getBuiltinModule?.('node:module');
  if (!threads || !modules)
    throw new FerryServerError('unsupported', 'PgliteStore({ thread: true }) needs Node’s worker_threads');
  const worker = new threads.Worker(PROGRAM, {
    eval: true,
    workerData: { dataDir, pglite: modules.createRequire(import.meta.url).resolve('@electric-sql/pglite') },
  });
  worker.unref();
  const waiting = new Map<number, { resolve: (rows: unknown[]) => void; reject: (err: unknown) => void }>();
  let next = 0;
  let dead: FerryServerError | undefined;
  const settled = (id: number) => {
    const w = waiting.get(id);
    waiting.delete(id);
    if (waiting.size === 0) worker.unref();
    return w;
  };
  worker.on('message', (r: Reply) => {
    const w = settled(r.id);
    if (r.error) w?.reject(Object.assign(new Error(r.error.message), r.error));
    else w?.resolve(r.rows ?? []);
  });
  const die = (err: unknown): void => {
    dead ??= new FerryServerError('storage-unavailable', 'the PGlite worker thread ended', { cause: err });
    for (const w of waiting.values()) w.reject(dead);
    waiting.clear();
  };
  worker.on('error', die);
  worker.on('exit', (code) => die(new Error(`the worker exited with code ${code}`)));
  const ask = (m: Record<string, unknown>): Promise<unknown[]> => {
    if (dead) return Promise.reject(dead);
    const id = next++;
    return new Promise((resolve, reject) => {
      if (waiting.size === 0) worker.ref();
      waiting.set(id, { resolve, reject });
      worker.postMessage({ ...m, id });
    });
  };
  const query = async <Row>(text: string, params: unknown[] = [], tx?: number): Promise<{ rows: Row[] }> => ({
    rows: (await ask({ op: 'query', text, params, tx })) as Row[],
  });
  // The store's own statements, prepared once in the worker's session ({@link Prepared}).
  const prepared = new Prepared();
  const script = async (s: Statement, tx?: number): Promise<{ script: true; text: string }> => ({
    script: true,
    text: await prepared.text(s, (text) => ask({ op: 'query', script: true, text, tx })),
  });
  const own = async (s: Statement): Promise<unknown[]> => ask({ op: 'query', ...(await script(s)) });
  return {
    sql: { worker, query: (text, params) => query(text, params) },
    query: async <Row>(text: string, params: unknown[] = []) => ({ rows: (await own({ text, params })) as Row[] }),
    async transaction<T>(open: Opening, fn: (sql: Sql, rows: Opened) => Promise<Closing<T>>): Promise<T> {
      const claim = open.claim ? await own(open.claim) : [];
      const begin = await script(open.first);
      // The transaction is known by its begin message's id.
      const tx = next;
      const first = await ask({ op: 'begin', ...begin });
      let closing: Closing<T>;
      try {
        closing = await fn({ query: (text, params) => query(text, params, tx) }, { claim, first });
      } catch (err) {
        await ask({ op: 'end', tx, last: null });
        throw err;
      }
      await ask({ op: 'end', tx, last: await script(closing.last, tx) });
      return closing.value;
    },
    async close() {
      await ask({ op: 'close' }).catch(() => undefined);
      await worker.terminate();
    },
  };
}
