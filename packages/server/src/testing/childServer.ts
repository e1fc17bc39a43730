/**
 * One app instance for the multi-process tests (processes.test.ts): an HTTP
 * server on @ferry/server over Postgres, writing messages to the same
 * database. `FERRY_TRANSACTION=1` runs the handler inside the key's
 * transaction. A message whose text is `FERRY_HANG` (set for that process only) is written, announced on
 * stdout (`in-handler <key>`), and never answered, so the test can kill the
 * process before its transaction commits. Prints `listening <port>`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHandler } from '../createHandler.ts';
import { PgStore } from '../PgStore.ts';
import { toNodeListener } from '../node.ts';

const url = process.env['FERRY_PG_URL'] ?? '';
const store = new PgStore({ connectionString: url, table: process.env['FERRY_TABLE'] ?? 'ferry_idempotency' });
const messages = process.env['FERRY_MESSAGES'] ?? 'messages';
const transaction = process.env['FERRY_TRANSACTION'] === '1';
await store.ready();
await store.pool.query(`CREATE TABLE IF NOT EXISTS ${messages} (key text, text text, pid int)`).catch(() => undefined);

const handler = createHandler({
  store,
  effects: transaction ? 'in-transaction' : 'outside-database',
  leaseMs: Number(process.env['FERRY_LEASE_MS'] ?? 1_500),
  batchPath: '/api/batch',
  scope: (req) => req.headers.get('x-user'),
  handler: async (req, ctx) => {
    const { text, delayMs } = (await req.json()) as { text: string; delayMs?: number };
    const sql = ctx.sql ?? store.pool;
    await sql.query(`INSERT INTO ${messages} (key, text, pid) VALUES ($1, $2, $3)`, [ctx.key, text, process.pid]);
    if (text === process.env['FERRY_HANG']) {
      process.stdout.write(`in-handler ${ctx.key}\n`);
      await new Promise(() => undefined);
    }
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    return Response.json({ text, pid: process.pid }, { status: 201 });
  },
});

const server = createServer(toNodeListener(handler));
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`));
