/**
 * One app process for the PGlite kill test (PgliteStore.kill.test.ts): an HTTP server on
 * @ferry/server over `PgliteStore` on disk (`FERRY_DATA_DIR`; `FERRY_THREAD=1` in a worker thread),
 * effects in the key's transaction, with a 2 s lease (a key claimed when the process died is free again
 * soon after the restart): each request writes a message row next to its key. GET
 * /messages answers how many rows there are and which ids have more than one. Prints `listening <port>`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHandler } from '../createHandler.ts';
import { PgliteStore } from '../PgliteStore.ts';
import { toNodeListener } from '../node.ts';

const store = new PgliteStore({ dataDir: process.env['FERRY_DATA_DIR'], thread: process.env['FERRY_THREAD'] === '1' });
await store.ready();
await store.sql.query('CREATE TABLE IF NOT EXISTS messages (id text, text text)');

const handler = createHandler({
  store,
  singleScope: 'kill-test',
  leaseMs: 2_000,
  handler: async (req, ctx) => {
    if (req.method === 'GET') {
      const total = await store.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM messages');
      const twice = await store.sql.query<{ id: string }>('SELECT id FROM messages GROUP BY id HAVING count(*) > 1');
      return Response.json({ total: total.rows[0]?.n, twice: twice.rows.map((r) => r.id) });
    }
    const { id } = (await req.json()) as { id: string };
    await ctx.sql!.query('INSERT INTO messages (id, text) VALUES ($1, $2)', [id, `text of ${id}`]);
    return Response.json({ id, pid: process.pid }, { status: 201 });
  },
});

const server = createServer(toNodeListener(handler));
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`));
