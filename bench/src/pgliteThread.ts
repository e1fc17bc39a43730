import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { FerryServerError } from '../../packages/server/src/FerryServerError.ts';
import type { Sql } from '../../packages/server/src/IdempotencyStore.ts';
import type { Closing, Opened, Opening, SqlDriver } from '../../packages/server/src/sql/SqlStore.ts';

/**
 * The worker's program (CommonJS, evaluated as given, so it needs no file of its own in any build):
 * one PGlite, its statements run in the order they arrive; a transaction stays open between messages
 * until its `end`, and PGlite runs one transaction at a time.
 */
const PROGRAM = `
const { parentPort, workerData } = require('node:worker_threads');
const { PGlite } = require(workerData.pglite);
const db = new PGlite(workerData.dataDir);
const open = new Map();
const reply = (id, rows) => parentPort.postMessage({ id, rows });
const fail = (id, err) => parentPort.postMessage({ id, error: { message: String(err && err.message || err), code: err && err.code } });
parentPort.on('message', (m) => {
  if (m.op === 'query') {
    const on = m.tx === undefined ? db : open.get(m.tx)?.tx;
    if (!on) return fail(m.id, new Error('no such transaction'));
    on.query(m.text, m.params).then((r) => reply(m.id, r.rows), (e) => fail(m.id, e));
  } else if (m.op === 'begin') {
    let end;
    const ended = new Promise((r) => (end = r));
    db.transaction(async (tx) => {
      open.set(m.id, { tx, end });
      reply(m.id, (await tx.query(m.text, m.params)).rows);
      const e = await ended;
      if (!e.last) throw Object.assign(new Error('rolled back'), { rolledBack: e.id });
      await tx.query(e.last.text, e.last.params);
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
    if (!o) return fail(m.id, new Error('no such transaction'));
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
  error?: { message: string; code?: string };
}

/**
 * The bench's experiment (`--only pglite-thread,pglite-thread-outside`): a {@link SqlDriver} whose PGlite
 * runs in a worker thread, so the wasm's work is off the thread that serves requests, and every
 * statement (the app's own `ctx.sql` ones included, inside the key's transaction) is a message to it.
 * `PgliteStore` does not use it: whether it pays at 16 concurrent requests is what this measures.
 */
export function threadDriver(dataDir: string | undefined): SqlDriver {
  const worker = new Worker(PROGRAM, {
    eval: true,
    workerData: { dataDir, pglite: createRequire(import.meta.url).resolve('@electric-sql/pglite') },
  });
  const waiting = new Map<number, { resolve: (rows: unknown[]) => void; reject: (err: unknown) => void }>();
  let next = 0;
  let dead: unknown;
  worker.on('message', (r: Reply) => {
    const w = waiting.get(r.id);
    waiting.delete(r.id);
    if (r.error) w?.reject(Object.assign(new Error(r.error.message), { code: r.error.code }));
    else w?.resolve(r.rows ?? []);
  });
  const die = (err: unknown): void => {
    dead = new FerryServerError('storage-unavailable', 'the PGlite thread ended', { cause: err });
    for (const w of waiting.values()) w.reject(dead);
    waiting.clear();
  };
  worker.on('error', die);
  worker.on('exit', (code) => die(new Error(`exit ${code}`)));
  const ask = (m: Record<string, unknown>): Promise<unknown[]> => {
    if (dead) return Promise.reject(dead);
    const id = next++;
    return new Promise((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      worker.postMessage({ ...m, id });
    });
  };
  const query = async <Row>(text: string, params: unknown[] = [], tx?: number) => ({
    rows: (await ask({ op: 'query', text, params, ...(tx !== undefined && { tx }) })) as Row[],
  });
  return {
    query: (text, params) => query(text, params),
    async transaction<T>(open: Opening, fn: (sql: Sql, rows: Opened) => Promise<Closing<T>>): Promise<T> {
      const claim = open.claim ? (await query(open.claim.text, open.claim.params)).rows : [];
      const tx = next;
      const first = await ask({ op: 'begin', text: open.first.text, params: open.first.params });
      let closing: Closing<T>;
      try {
        closing = await fn({ query: (text, params) => query(text, params, tx) }, { claim, first });
      } catch (err) {
        await ask({ op: 'end', tx, last: null });
        throw err;
      }
      await ask({ op: 'end', tx, last: closing.last });
      return closing.value;
    },
    async close() {
      await ask({ op: 'close' }).catch(() => undefined);
      await worker.terminate();
    },
  };
}
