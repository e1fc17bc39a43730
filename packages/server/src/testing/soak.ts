/**
 * The two-process soak (`pnpm --filter @ferry/server soak`; minutes, not part of `npm test`): two app
 * instances (childServer.ts, handler inside the key's transaction) on one throwaway Postgres, sent
 * `SOAK_REQUESTS` keyed requests (default 10,000; 20% of them duplicates of earlier keys) round-robin,
 * `SOAK_CONCURRENCY` at a time (default 32). Meanwhile Postgres is restarted twice and one instance is
 * SIGKILLed and started again. A client retries a 409, a 503 or a refused connection (as Ferry does)
 * until it has its answer. Checks: effects = distinct keys (each key's row written once), every
 * client got its 201 (fresh or replayed), every other answer was a retryable 409/503, and no
 * process died but the one killed. Prints a JSON summary; exits 1 when a check fails.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startPostgres } from './postgres.ts';

const CHILD = fileURLToPath(new URL('./childServer.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../..', import.meta.url));
const TOTAL = Number(process.env['SOAK_REQUESTS'] ?? 10_000);
const CONCURRENCY = Number(process.env['SOAK_CONCURRENCY'] ?? 32);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const postgres = await startPostgres();
const db = new pg.Pool({ connectionString: postgres.url });
db.on('error', () => undefined);
const env = {
  FERRY_PG_URL: postgres.url,
  FERRY_TRANSACTION: '1',
  FERRY_LEASE_MS: '3000',
  FERRY_TABLE: 'soak_keys',
  FERRY_MESSAGES: 'soak_messages',
};

interface Instance {
  url: string | null;
  child: ChildProcess;
  exited: boolean;
}
const instances: Instance[] = [];
let unexpectedExits = 0;

function start(slot: number): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const instance: Instance = { url: null, child, exited: false };
  instances[slot] = instance;
  child.once('exit', (_code, signal) => {
    instance.exited = true;
    instance.url = null;
    if (signal !== 'SIGKILL') unexpectedExits++;
  });
  return new Promise((resolve) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const port = /listening (\d+)/.exec(out)?.[1];
      if (port && !instance.url) {
        instance.url = `http://127.0.0.1:${port}`;
        resolve();
      }
    });
  });
}

await Promise.all([start(0), start(1)]);

// The plan: distinct keys, then 20% of the sends repeat an earlier key (spread through the run).
const distinct = Math.round(TOTAL * 0.8);
const plan: string[] = Array.from({ length: distinct }, (_, i) => `key-${i}`);
for (let i = distinct; i < TOTAL; i++) {
  const at = Math.floor(Math.random() * plan.length);
  plan.splice(at + 1, 0, plan[Math.floor(Math.random() * (at + 1))] as string);
}

const counts = { fresh: 0, replayed: 0, retried409: 0, retried503: 0, refused: 0, other: 0, gaveUp: 0 };
const others: string[] = [];
let turn = 0;

/** One client's request: retried like Ferry retries until it has its answer (at most 2 minutes). */
async function send(key: string): Promise<void> {
  const until = Date.now() + 120_000;
  while (Date.now() < until) {
    const target = instances[turn++ % instances.length];
    if (!target?.url) {
      counts.refused++;
      await sleep(50);
      continue;
    }
    let res: Response;
    try {
      res = await fetch(`${target.url}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': key, 'x-user': 'soak' },
        body: JSON.stringify({ text: key }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch {
      counts.refused++;
      await sleep(50);
      continue;
    }
    await res.arrayBuffer();
    if (res.status === 201) {
      if (res.headers.get('idempotent-replayed') === 'true') counts.replayed++;
      else counts.fresh++;
      return;
    }
    if (res.status === 409) counts.retried409++;
    else if (res.status === 503) counts.retried503++;
    else {
      counts.other++;
      if (others.length < 20) others.push(`${key}: ${res.status}`);
      return;
    }
    await sleep(res.status === 409 ? 200 : 100);
  }
  counts.gaveUp++;
}

const started = Date.now();
let next = 0;
let done = 0;
const events: string[] = [];
const chaos = (async () => {
  const when = (share: number) =>
    (async () => {
      while (done < TOTAL * share) await sleep(20);
    })();
  await when(0.25);
  await postgres.restart();
  events.push(`postgres restarted at ${done} answers`);
  await when(0.45);
  instances[1]?.child.kill('SIGKILL');
  events.push(`instance 1 SIGKILLed at ${done} answers`);
  await sleep(500);
  await start(1);
  events.push(`instance 1 started again at ${done} answers`);
  await when(0.65);
  await postgres.restart();
  events.push(`postgres restarted at ${done} answers`);
})();
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (next < plan.length) {
      await send(plan[next++] as string);
      done++;
    }
  }),
);
await chaos;
const seconds = (Date.now() - started) / 1000;

let rows: { key: string; n: number }[] = [];
for (let attempt = 0; attempt < 20; attempt++) {
  try {
    rows = (
      await db.query<{ key: string; n: number }>('SELECT key, count(*)::int AS n FROM soak_messages GROUP BY key')
    ).rows;
    break;
  } catch {
    await sleep(250);
  }
}
const keys = new Set(plan);
const twice = rows.filter((r) => r.n !== 1);
const alive = instances.filter((i) => !i.exited).length;
const checks = {
  effectsEqualDistinctKeys: rows.length === keys.size && twice.length === 0,
  everyClientAnswered: counts.fresh + counts.replayed === TOTAL && counts.gaveUp === 0,
  onlyRetryableOtherwise: counts.other === 0,
  noProcessDiedButTheKilledOne: unexpectedExits === 0 && alive === 2,
};
console.log(
  JSON.stringify(
    {
      requests: TOTAL,
      distinctKeys: keys.size,
      effects: rows.length,
      appliedTwice: twice.length,
      seconds,
      counts,
      others,
      events,
      checks,
    },
    null,
    2,
  ),
);
for (const i of instances) i.child.kill('SIGKILL');
await db.end();
await postgres.stop();
process.exit(Object.values(checks).every(Boolean) ? 0 : 1);
