/**
 * `pnpm --filter @ferry/bench bench:server` (also the last step of `pnpm bench`):
 * the cost of @ferry/server's idempotency layer. A trivial handler served
 * from a child process, bare and behind the layer on the embedded store
 * (PGlite) and on Postgres 15 (a throwaway cluster): requests per second and
 * p50/p99 latency at a fixed concurrency, every request with a new key; and
 * 25 ops delivered as one batch against 25 single requests one after the
 * other (what one lane costs either way). Writes bench/results/server.json.
 * `--quick` runs small sizes (a smoke test, not a measurement).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPostgres } from '../../packages/server/src/testing/postgres.ts';

const here = dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes('--quick');
const N = quick ? 300 : 3_000;
const CONCURRENCY = 16;
const BATCH_ROUNDS = quick ? 5 : 40;
const BATCH = 25;

function startApp(env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'serverApp.ts')], {
    cwd: join(here, '..'),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.once('exit', (code) => reject(new Error(`bench app exited with ${code}`)));
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const port = /listening (\d+)/.exec(out)?.[1];
      if (port) resolve({ url: `http://127.0.0.1:${port}`, child });
    });
  });
}

let seq = 0;
const key = (): string => `${process.pid}-${++seq}-${Math.random().toString(36).slice(2)}`;
const payload = (i: number) => ({ text: `message ${i}`, conversation: 'bench' });

async function post(url: string, body: unknown, k: string | null): Promise<number> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(k && { 'idempotency-key': k }) },
    body: JSON.stringify(body),
  });
  await res.arrayBuffer();
  return res.status;
}

const pct = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const r2 = (x: number): number => Math.round(x * 100) / 100;

/** N requests, CONCURRENCY at a time, each with a new key. */
async function throughput(base: string): Promise<{ rps: number; p50_ms: number; p99_ms: number }> {
  // Warm up: connections, JIT, the store's first statements.
  for (let i = 0; i < 50; i++) await post(`${base}/api/messages`, payload(i), key());
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < N) {
        const i = next++;
        const t = performance.now();
        const status = await post(`${base}/api/messages`, payload(i), key());
        latencies.push(performance.now() - t);
        if (status !== 201) throw new Error(`status ${status}`);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { rps: Math.round(N / seconds), p50_ms: r2(pct(latencies, 50)), p99_ms: r2(pct(latencies, 99)) };
}

/** One lane's 25 ops: one batch request, against 25 single requests in order. Median ms over rounds. */
async function batchVsSingles(base: string): Promise<{ batch25_ms: number; singles25_ms: number; ratio: number }> {
  const batchMs: number[] = [];
  const singleMs: number[] = [];
  for (let round = 0; round < BATCH_ROUNDS; round++) {
    const ops = Array.from({ length: BATCH }, (_, i) => ({
      id: key(),
      kind: 'message.send',
      target: '/api/messages',
      method: 'POST',
      idempotencyKey: key(),
      payload: payload(i),
    }));
    let t = performance.now();
    const res = await fetch(`${base}/api/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ops }),
    });
    const { results } = (await res.json()) as { results: { status: number }[] };
    if (results.length !== BATCH || results.some((r) => r.status !== 201)) throw new Error('batch not applied');
    batchMs.push(performance.now() - t);
    t = performance.now();
    for (let i = 0; i < BATCH; i++)
      if ((await post(`${base}/api/messages`, payload(i), key())) !== 201) throw new Error('single not applied');
    singleMs.push(performance.now() - t);
  }
  const med = (xs: number[]): number =>
    pct(
      [...xs].sort((a, b) => a - b),
      50,
    );
  return { batch25_ms: r2(med(batchMs)), singles25_ms: r2(med(singleMs)), ratio: r2(med(singleMs) / med(batchMs)) };
}

/** What bench/results/server.json holds. */
export interface ServerBenchResult {
  date: string;
  machine: string;
  quick: boolean;
  sizes: { requests: number; concurrency: number; batchRounds: number; batchSize: number };
  results: Record<
    string,
    { rps: number; p50_ms: number; p99_ms: number; batch25_ms?: number; singles25_ms?: number; ratio?: number }
  >;
}

const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

export async function runServerBench(): Promise<ServerBenchResult> {
  const loadAtStart = load();
  const postgres = await startPostgres();
  const children: ChildProcess[] = [];
  try {
    const results: ServerBenchResult['results'] = {};
    for (const mode of ['plain', 'pglite', 'pg'] as const) {
      const app = await startApp({ BENCH_MODE: mode, BENCH_PG_URL: postgres.url });
      children.push(app.child);
      const t = await throughput(app.url);
      results[mode] = mode === 'plain' ? t : { ...t, ...(await batchVsSingles(app.url)) };
      console.log(`server bench: ${mode}`, results[mode]);
      app.child.kill('SIGKILL');
    }
    const out: ServerBenchResult = {
      date: new Date().toISOString(),
      machine: `${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, Node ${process.version}, load average (1, 5, 15 min) ${loadAtStart} at the start, ${load()} at the end`,
      quick,
      sizes: { requests: N, concurrency: CONCURRENCY, batchRounds: BATCH_ROUNDS, batchSize: BATCH },
      results,
    };
    await mkdir(join(here, '../results'), { recursive: true });
    await writeFile(
      join(here, `../results/${quick ? 'server-quick' : 'server'}.json`),
      `${JSON.stringify(out, null, 2)}\n`,
    );
    return out;
  } finally {
    for (const c of children) c.kill('SIGKILL');
    await postgres.stop();
  }
}

const LABELS: Record<string, string> = {
  plain: 'bare handler, no layer',
  pglite: 'layer on PGlite (embedded, in memory)',
  pg: 'layer on Postgres 15 (pg)',
};

/** The server bench as a Markdown table (the CLI, `pnpm bench` and bench/RESULTS.md print the same one). */
export function serverTable(out: ServerBenchResult): string[] {
  const bare = out.results['plain']?.rps;
  return [
    '| server | req/s | ÷ bare | p50 ms | p99 ms | batch of 25, ms | 25 singles, ms | singles ÷ batch |',
    '|---|---|---|---|---|---|---|---|',
    ...Object.entries(out.results).map(
      ([mode, r]) =>
        `| ${LABELS[mode] ?? mode} | ${r.rps} | ${bare ? `${Math.round((r.rps / bare) * 100) / 100}×` : '–'} | ${r.p50_ms} | ${r.p99_ms} | ${r.batch25_ms ?? '–'} | ${r.singles25_ms ?? '–'} | ${r.ratio === undefined ? '–' : `${r.ratio}×`} |`,
    ),
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = await runServerBench();
  console.log(`\n${out.machine}${quick ? '  (quick: sizes too small to mean anything)' : ''}\n`);
  console.log(serverTable(out).join('\n'));
}
