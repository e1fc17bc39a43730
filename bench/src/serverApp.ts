/**
 * The server side of `bench:server` (src/serverBench.ts), in a process of its
 * own: a trivial handler (`201 {"ok":true}`) on Node's http, bare
 * (`BENCH_MODE=plain`) or behind @ferry/server with the embedded store
 * (`pglite`, in memory; `pglite-thread`, in a worker thread) or Postgres (`pg`, `BENCH_PG_URL`), effects in the key's
 * transaction or outside it (`BENCH_EFFECTS`), with Ferry's
 * batch endpoint at /api/batch, and its own CPU and event-loop time at GET /__cpu. Prints
 * `listening <port>`.
 */
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import type { IdempotencyStore } from '@ferry/server';
import { createHandler } from '@ferry/server';
import { toNodeListener } from '@ferry/server/node';
import { PgStore } from '@ferry/server/pg';
import pg from 'pg';
import { PgliteStore } from '@ferry/server/pglite';

const mode = process.env['BENCH_MODE'] ?? 'plain';
const trivial = async (req: Request): Promise<Response> => {
  await req.arrayBuffer();
  return new Response('{"ok":true}', { status: 201, headers: { 'content-type': 'application/json' } });
};

let handler: (req: Request) => Promise<Response> = trivial;
if (mode !== 'plain') {
  const table = `bench_${process.pid}`;
  const store: IdempotencyStore =
    mode === 'pg'
      ? new PgStore({
          // BENCH_PG_MAX: the pool's size (pg's default is 10).
          pool: new pg.Pool({
            connectionString: process.env['BENCH_PG_URL'],
            max: Number(process.env['BENCH_PG_MAX'] ?? 10),
          }),
          table,
        })
      : new PgliteStore({ table, thread: mode === 'pglite-thread' });
  await store.ready?.();
  const effects = process.env['BENCH_EFFECTS'] === 'outside-database' ? 'outside-database' : 'in-transaction';
  handler = createHandler({ store, singleScope: 'bench', effects, handler: trivial, batchPath: '/api/batch' });
}
const listener = toNodeListener(handler);
// GET /__cpu: this process's CPU time so far (µs, user + system, every thread) and its event loop's
// busy time (µs), for the bench's costs per request.
const server = createServer((req, res) => {
  if (req.url !== '/__cpu') return listener(req, res);
  const { user, system } = process.cpuUsage();
  const loop = performance.eventLoopUtilization().active * 1000;
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ cpu: user + system, loop }));
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`));
