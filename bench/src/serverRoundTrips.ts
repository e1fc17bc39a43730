/**
 * `pnpm exec tsx src/serverRoundTrips.ts` in bench/: how many round trips to
 * Postgres one request through @ferry/server's layer costs, in each effects
 * mode. `pg` sends one query at a time per connection (no pipelining), so
 * each `Client#query` call is one round trip; checkouts from the pool are
 * counted apart (they cost no round trip once the pool is warm). Requests run
 * one at a time on a throwaway Postgres, every one with a new key; the CPU
 * time per request of this process and of Postgres is printed too.
 */
import pg from 'pg';
import { createHandler } from '@ferry/server';
import { PgStore } from '@ferry/server/pg';
import { startPostgres } from '../../packages/server/src/testing/postgres.ts';
import { postgresCpu } from './serverBench.ts';

const REQUESTS = 200;
let queries = 0;
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  queries++;
  return (query as (...a: unknown[]) => unknown).apply(this, args);
} as typeof query;
let checkouts = 0;
const connect = pg.Pool.prototype.connect;
pg.Pool.prototype.connect = function (this: pg.Pool, ...args: unknown[]) {
  checkouts++;
  return (connect as (...a: unknown[]) => unknown).apply(this, args);
} as typeof connect;

const postgres = await startPostgres();
const port = new URL(postgres.url).port;
try {
  for (const effects of ['in-transaction', 'outside-database'] as const) {
    const store = new PgStore({ connectionString: postgres.url, table: `trips_${effects.replace('-', '_')}` });
    await store.ready();
    const handler = createHandler({
      store,
      singleScope: 'bench',
      effects,
      handler: () => new Response('{"ok":true}', { status: 201 }),
    });
    const send = (i: number) =>
      handler(
        new Request('http://x/api/messages', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': `k-${effects}-${i}` },
          body: JSON.stringify({ text: `message ${i}` }),
        }),
      );
    for (let i = 0; i < 20; i++) await send(-1 - i); // warm: connections and prepared statements
    queries = 0;
    checkouts = 0;
    const app = process.cpuUsage();
    const db = await postgresCpu(port);
    for (let i = 0; i < REQUESTS; i++) if ((await send(i)).status !== 201) throw new Error('not applied');
    const { user, system } = process.cpuUsage(app);
    const dbUs = (await postgresCpu(port)) - db;
    console.log(
      `effects: '${effects}': ${(queries / REQUESTS).toFixed(2)} round trips per request, ` +
        `${(checkouts / REQUESTS).toFixed(2)} pool checkouts, CPU per request: this process ` +
        `${Math.round((user + system) / REQUESTS)} µs, Postgres ${Math.round(dbUs / REQUESTS)} µs`,
    );
    await store.close();
  }
} finally {
  await postgres.stop();
}
