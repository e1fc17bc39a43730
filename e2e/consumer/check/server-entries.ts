// Every entry of @ferry/server, imported as a Node app would: type-checked with moduleResolution
// bundler and nodenext, skipLibCheck off, lib ES2023 with @types/node, no DOM (consumer.ts).
import * as server from '@ferry/server';
import * as hono from '@ferry/server/hono';
import * as node from '@ferry/server/node';
import * as otel from '@ferry/server/otel';
import * as pg from '@ferry/server/pg';
import * as pglite from '@ferry/server/pglite';

export const entries = [server, hono, node, otel, pg, pglite];
const store: server.IdempotencyStore = new pglite.PgliteStore();
export const handler: (req: Request) => Promise<Response> = server.createHandler({
  store,
  scope: () => 'app',
  handler: () => new Response(null, { status: 204 }),
});
export const listener = node.toNodeListener(otel.traced(handler));
export const middleware = hono.idempotency({ store, scope: () => 'u1' });
export const shared: server.IdempotencyStore = new pg.PgStore({ connectionString: 'postgres://app@127.0.0.1/app' });
export const problem: Response = server.problem(409, 'idempotency-key-in-use', 'still running', { 'retry-after': '1' });
