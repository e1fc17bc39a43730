/**
 * `PgliteStore({ thread: true })` behind the layer: the app's statements and the keys in the worker's
 * PGlite, duplicates answered at once, database errors as PGlite gives them, and a worker that dies
 * answered 503 while the process goes on. One store for the file (a PGlite takes seconds to start);
 * the last test kills its worker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PGlite } from '@electric-sql/pglite';
import { createHandler } from './createHandler.ts';
import { FerryServerError } from './FerryServerError.ts';
import { PgliteStore } from './PgliteStore.ts';
import type { ThreadSql } from './sql/pgliteThread.ts';

let store: PgliteStore;
beforeAll(async () => {
  store = new PgliteStore({ thread: true });
  await store.ready();
  await store.sql.query('CREATE TABLE messages (id text PRIMARY KEY, text text)');
}, 120_000);
afterAll(async () => store?.close());

/** Lets a test hold a request inside its handler, after its write, until it opens the gate. */
let gate: { reached: () => void; open: Promise<void> } | undefined;
function hold(): { reached: Promise<void>; open: () => void } {
  let reached!: () => void;
  let open!: () => void;
  const held = { reached: new Promise<void>((r) => (reached = r)), open: () => open() };
  gate = { reached, open: new Promise<void>((r) => (open = r)) };
  return held;
}
const handler = (effects: 'in-transaction' | 'outside-database') =>
  createHandler({
    store,
    singleScope: 'test',
    effects,
    handler: async (req, ctx) => {
      const { id, text } = (await req.json()) as { id: string; text: string };
      const sql = ctx.sql ?? store.sql;
      const inserted = await sql.query<{ id: string }>('INSERT INTO messages (id, text) VALUES ($1, $2) RETURNING id', [
        id,
        text,
      ]);
      const g = gate;
      gate = undefined;
      g?.reached();
      await g?.open;
      return Response.json({ id: inserted.rows[0]?.id }, { status: 201 });
    },
  });
const send = (h: (req: Request) => Promise<Response>, key: string, id: string) =>
  h(
    new Request('http://x/api/messages', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify({ id, text: `text of ${id}` }),
    }),
  );
const count = async (id: string) =>
  (await store.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM messages WHERE id = $1', [id])).rows[0]?.n;

describe('PgliteStore({ thread: true })', () => {
  it('is refused with db, and has no db of its own on this thread', async () => {
    const db = {} as PGlite;
    expect(() => new PgliteStore({ thread: true, db })).toThrow(
      expect.objectContaining({ name: 'FerryServerError', code: 'invalid-config' }),
    );
    expect(() => store.db).toThrow(FerryServerError);
    expect(() => store.db).toThrow(expect.objectContaining({ code: 'unsupported' }));
  });

  for (const effects of ['in-transaction', 'outside-database'] as const) {
    it(`${effects}: applies once, replays the answer, and answers a duplicate in flight at once with 409`, async () => {
      const h = handler(effects);
      const held = hold();
      const first = send(h, `k-${effects}`, `m-${effects}`);
      await held.reached;
      const started = performance.now();
      const duplicate = await send(h, `k-${effects}`, `m-${effects}`);
      expect(duplicate.status).toBe(409);
      expect(performance.now() - started).toBeLessThan(1_000);
      held.open();
      const answer = await first;
      expect(answer.status).toBe(201);
      const replay = await send(h, `k-${effects}`, `m-${effects}`);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(await replay.json()).toEqual(await answer.json());
      expect(await count(`m-${effects}`)).toBe(1);
    }, 30_000);
  }

  it("an app statement's database error comes back with Postgres's fields", async () => {
    await store.sql.query('INSERT INTO messages (id, text) VALUES ($1, $2)', ['dup', 'a']);
    const err = await store.sql.query('INSERT INTO messages (id, text) VALUES ($1, $2)', ['dup', 'b']).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ code: '23505', constraint: 'messages_pkey' });
  });

  it('in the transaction, a request is two messages to the worker: the claim with BEGIN, the answer with COMMIT', async () => {
    const worker = (store.sql as ThreadSql).worker;
    const post = worker.postMessage;
    const ops: string[] = [];
    worker.postMessage = function (this: typeof worker, m: { op: string }) {
      ops.push(m.op);
      return post.call(this, m);
    } as typeof post;
    try {
      const h = handler('in-transaction');
      // Prepares the store's statements (one message each, once per worker).
      expect((await send(h, 'k-warm', 'm-warm')).status).toBe(201);
      ops.length = 0;
      expect((await send(h, 'k-count', 'm-count')).status).toBe(201);
      // The handler's own INSERT is the query between them.
      expect(ops).toEqual(['begin', 'query', 'end']);
      ops.length = 0;
      // A replay: the claim finds the answer, and its transaction rolls back.
      expect((await send(h, 'k-count', 'm-count')).headers.get('idempotent-replayed')).toBe('true');
      expect(ops).toEqual(['begin', 'end']);
    } finally {
      worker.postMessage = post;
    }
    expect(await count('m-count')).toBe(1);
  });

  it('a worker that dies mid-request: that request and the next are answered 503, nothing thrown', async () => {
    const h = handler('in-transaction');
    const held = hold();
    const inFlight = send(h, 'k-crash', 'm-crash');
    // The handler has written and waits at the gate, its transaction open in the worker.
    await held.reached;
    // Waits in the worker behind the open transaction (PGlite has one connection).
    const waiting = store.sql.query('SELECT 1').catch((err: unknown) => err);
    await (store.sql as ThreadSql).worker.terminate();
    expect(await waiting).toMatchObject({ name: 'FerryServerError', code: 'storage-unavailable' });
    held.open();
    const answer = await inFlight;
    expect(answer.status).toBe(503);
    expect(await answer.json()).toMatchObject({ code: 'storage-unavailable' });
    const next = await send(h, 'k-after', 'm-after');
    expect(next.status).toBe(503);
    expect(next.headers.get('retry-after')).toBe('1');
  }, 30_000);
});
