/**
 * The database connection of a request's transaction ends while the handler
 * awaits something else (a restart, `pg_terminate_backend`,
 * `idle_in_transaction_session_timeout`): the process keeps serving, the
 * request is answered 503 with Retry-After, nothing of it is applied, and
 * its resend is applied once.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppHandler } from './Idempotency.ts';
import { Idempotency } from './Idempotency.ts';
import { PgStore } from './PgStore.ts';
import type { TestPostgres } from './testing/postgres.ts';
import { startPostgres } from './testing/postgres.ts';

let postgres: TestPostgres;
let admin: pg.Pool;
beforeAll(async () => {
  postgres = await startPostgres();
  admin = new pg.Pool({ connectionString: postgres.url });
  admin.on('error', () => undefined);
}, 120_000);
afterAll(async () => {
  await admin?.end();
  await postgres?.stop();
});

const post = (key: string) =>
  new Request('http://app.test/api/messages', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify({ text: key }),
  });

type Kill = (backendPid: number, sql: { query(text: string): Promise<unknown> }) => Promise<void>;

const ways: [string, Kill][] = [
  ['Postgres restarts', () => postgres.restart()],
  [
    'pg_terminate_backend ends the backend',
    async (pid) => void (await admin.query('SELECT pg_terminate_backend($1)', [pid])),
  ],
  [
    'idle_in_transaction_session_timeout ends the session',
    async (_pid, sql) => {
      await sql.query(`SELECT set_config('idle_in_transaction_session_timeout', '100', true)`);
      await new Promise((r) => setTimeout(r, 600));
    },
  ],
];

describe('the database connection of a transaction ends mid-request', () => {
  let n = 0;
  for (const [how, kill] of ways) {
    it(`${how}: the process serves on, 503 with Retry-After, nothing applied, the resend applied once`, async () => {
      const table = `app_loss_${++n}`;
      await admin.query(`CREATE TABLE ${table} (text text)`);
      const store = new PgStore({ connectionString: postgres.url, table: `keys_loss_${n}` });
      await store.ready();
      let killing = true;
      const handler: AppHandler = async (req, ctx) => {
        const sql = ctx.sql!;
        const { text } = (await req.json()) as { text: string };
        await sql.query(`INSERT INTO ${table} (text) VALUES ($1)`, [text]);
        if (killing) {
          killing = false;
          const pid = (await sql.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
          // The handler awaits something else while the connection ends under it.
          await kill(pid, sql);
          await new Promise((r) => setTimeout(r, 200));
        }
        return Response.json({ text }, { status: 201 });
      };
      const layer = new Idempotency({ store, leaseMs: 1_000, scope: () => 'alice' });
      const applied = async () =>
        Number((await admin.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n as number);

      const lost = await layer.handle(post('k1'), handler);
      expect(lost.status).toBe(503);
      expect(Number(lost.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(((await lost.json()) as { code: string }).code).toBe('storage-unavailable');
      expect(await applied()).toBe(0);

      // The resend: once the database answers again and the key is free (at the latest when its lease ends).
      let resend = await layer.handle(post('k1'), handler);
      for (let i = 0; i < 40 && (resend.status === 503 || resend.status === 409); i++) {
        await new Promise((r) => setTimeout(r, 100));
        resend = await layer.handle(post('k1'), handler);
      }
      expect([resend.status, resend.headers.get('idempotent-replayed')]).toEqual([201, null]);
      expect(await applied()).toBe(1);
      const replay = await layer.handle(post('k1'), handler);
      expect([replay.status, replay.headers.get('idempotent-replayed')]).toEqual([201, 'true']);
      expect(await applied()).toBe(1);
      await store.close();
    }, 30_000);
  }
});
