/**
 * Two app processes on one Postgres, as a deployment with many instances
 * runs: duplicates spread over both apply once, and a process killed
 * mid-request (its transaction open) leaves its key claimable after the
 * lease, its effect rolled back.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestPostgres } from './testing/postgres.ts';
import { startPostgres } from './testing/postgres.ts';

const CHILD = fileURLToPath(new URL('./testing/childServer.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const LEASE_MS = 1_500;
/** The killed process's claims last longer, so the resend inside them is surely inside. */
const VICTIM_LEASE_MS = 3_000;

interface App {
  url: string;
  child: ChildProcess;
  /** Resolves when the child prints this line. */
  said(line: string): Promise<void>;
}

let postgres: TestPostgres;
let db: pg.Pool;
const apps: ChildProcess[] = [];
beforeAll(async () => {
  postgres = await startPostgres();
  db = new pg.Pool({ connectionString: postgres.url });
}, 60_000);
afterAll(async () => {
  for (const c of apps) c.kill('SIGKILL');
  await db?.end();
  await postgres?.stop();
});

function start(env: Record<string, string>): Promise<App> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    cwd: ROOT,
    env: { ...process.env, FERRY_PG_URL: postgres.url, FERRY_LEASE_MS: String(LEASE_MS), ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  apps.push(child);
  let out = '';
  const waiters: { line: string; resolve: () => void }[] = [];
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
    for (const w of waiters.splice(0)) (out.includes(w.line) ? w.resolve : () => waiters.push(w))();
  });
  const said = (line: string) =>
    new Promise<void>((resolve) => (out.includes(line) ? resolve() : waiters.push({ line, resolve })));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`child exited with ${code} before listening`)));
    void said('listening ').then(() => {
      const port = /listening (\d+)/.exec(out)?.[1];
      resolve({ url: `http://127.0.0.1:${port}`, child, said });
    });
  });
}

const send = (app: App, key: string, body: unknown) =>
  fetch(`${app.url}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': key, 'x-user': 'alice' },
    body: JSON.stringify(body),
  });

const sendBatch = (app: App, ops: unknown[]) =>
  fetch(`${app.url}/api/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-user': 'alice' },
    body: JSON.stringify({ ops }),
  });

for (const transaction of [true, false]) {
  describe(`two server processes on one Postgres (${transaction ? 'handler inside the key transaction' : 'handler outside it'})`, () => {
    const suffix = transaction ? 'tx' : 'plain';
    const messages = `messages_${suffix}`;
    let a: App;
    let b: App;
    beforeAll(async () => {
      const env = {
        FERRY_TABLE: `keys_${suffix}`,
        FERRY_MESSAGES: messages,
        FERRY_TRANSACTION: transaction ? '1' : '0',
      };
      // One after the other: both would otherwise race to create the same tables.
      a = await start(env);
      b = await start(env);
    }, 60_000);
    const applied = async (key: string) =>
      Number((await db.query(`SELECT count(*)::int AS n FROM ${messages} WHERE key = $1`, [key])).rows[0].n);

    it('concurrent duplicates of one request, spread over both, apply once', async () => {
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) => send(i % 2 ? a : b, 'dup-1', { text: 'once', delayMs: 300 })),
      );
      expect(await applied('dup-1')).toBe(1);
      const fresh = answers.filter((r) => r.status === 201 && r.headers.get('idempotent-replayed') === null);
      expect(fresh).toHaveLength(1);
      for (const r of answers) {
        expect([201, 409]).toContain(r.status);
        if (r.status === 409) expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      }
      const replay = await send(a, 'dup-1', { text: 'once', delayMs: 300 });
      expect([replay.status, replay.headers.get('idempotent-replayed')]).toEqual([201, 'true']);
      expect(await replay.json()).toEqual(await fresh[0]!.json());
    });

    it('concurrent duplicates of one batch, spread over both, apply each item once', async () => {
      const ops = Array.from({ length: 5 }, (_, i) => ({
        id: `bo${i}`,
        kind: 'k',
        target: '/api/messages',
        method: 'POST',
        idempotencyKey: `batch-${i}`,
        payload: { text: `m${i}`, delayMs: 50 },
      }));
      await Promise.all(Array.from({ length: 8 }, (_, i) => sendBatch(i % 2 ? a : b, ops)));
      for (let i = 0; i < 5; i++) expect(await applied(`batch-${i}`)).toBe(1);
      const again = (await (await sendBatch(b, ops)).json()) as { results: { status: number }[] };
      expect(again.results.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
      for (let i = 0; i < 5; i++) expect(await applied(`batch-${i}`)).toBe(1);
    });

    if (transaction) {
      it('a process killed mid-request: effect rolled back, key held for the lease, the resend elsewhere applied once and then replayed', async () => {
        const victim = await start({
          FERRY_TABLE: `keys_${suffix}`,
          FERRY_MESSAGES: messages,
          FERRY_TRANSACTION: '1',
          FERRY_HANG: 'stuck',
          FERRY_LEASE_MS: String(VICTIM_LEASE_MS),
        });
        const body = { text: 'stuck' };
        const pending = send(victim, 'killed-1', body).catch(() => 'no answer');
        // The victim has written its message inside the open transaction, and hangs there.
        await victim.said('in-handler killed-1');
        victim.child.kill('SIGKILL');
        expect(await pending).toBe('no answer');
        const early = await send(b, 'killed-1', body);
        expect(await applied('killed-1')).toBe(0);
        // Within the victim's lease the key is still held: the resend is told to come back later.
        expect(early.status).toBe(409);
        expect(Number(early.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        await new Promise((r) => setTimeout(r, VICTIM_LEASE_MS));
        const resend = await send(b, 'killed-1', body);
        expect([resend.status, resend.headers.get('idempotent-replayed')]).toEqual([201, null]);
        const stored = await resend.json();
        expect(await applied('killed-1')).toBe(1);
        const replay = await send(a, 'killed-1', body);
        expect([replay.status, replay.headers.get('idempotent-replayed')]).toEqual([201, 'true']);
        expect(await replay.json()).toEqual(stored);
        expect(await applied('killed-1')).toBe(1);
      }, 30_000);
    }
  });
}
