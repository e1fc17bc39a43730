/**
 * `pnpm --filter @ferry/bench bench:server` (also the last step of `pnpm bench`):
 * the cost of @ferry/server's idempotency layer. A trivial handler served
 * from a child process, bare and behind the layer on the embedded store
 * (PGlite) and on Postgres 15 (a throwaway cluster): requests per second and
 * p50/p99 latency at a fixed concurrency, every request with a new key; and
 * 25 ops delivered as one batch against 25 single requests one after the
 * other (what one lane costs either way). Writes bench/results/server.json.
 * `--quick` runs small sizes (a smoke test, not a measurement); `--requests N`,
 * `--rounds N`, `--batch-rounds N` (0: none) and `--only pg,pglite-outside,…` (the bare handler
 * always runs) size a run.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPostgres } from '../../packages/server/src/testing/postgres.ts';

const here = dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes('--quick');
const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
};
const N = arg('--requests', quick ? 300 : 2_000);
const ROUNDS = arg('--rounds', quick ? 1 : 3);
const CONCURRENCY = 16;
const BATCH_ROUNDS = arg('--batch-rounds', quick ? 5 : 20);
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
const med = (xs: number[]): number =>
  pct(
    [...xs].sort((a, b) => a - b),
    50,
  );

/** The app process's CPU time (every thread) and its event loop's busy time so far, µs. */
const appCpu = async (base: string): Promise<{ cpu: number; loop: number }> =>
  (await (await fetch(`${base}/__cpu`)).json()) as { cpu: number; loop: number };

/**
 * Postgres's CPU time so far, µs: the postmaster listening on `port` (its own and its reaped children's)
 * and its live backends, from /proc (Linux). 0 where /proc is missing.
 */
export async function postgresCpu(port: string): Promise<number> {
  const stat = async (pid: string): Promise<string[]> =>
    (await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')).replace(/^.*\) /, '').split(' ');
  const pids = await readdir('/proc').catch(() => [] as string[]);
  let master: string | undefined;
  for (const pid of pids.filter((p) => /^\d+$/.test(p))) {
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes('postgres') && cmd.split('\0').join(' ').includes(`-p ${port} `)) master = pid;
  }
  if (master === undefined) return 0;
  const ticks = 1e6 / 100; // USER_HZ is 100 on Linux
  let total = 0;
  for (const pid of pids.filter((p) => /^\d+$/.test(p))) {
    // Fields after the command: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14).
    const f = await stat(pid);
    if (pid === master) total += (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * ticks;
    else if (f[1] === master) total += (Number(f[11]) + Number(f[12])) * ticks;
  }
  return total;
}

/** N requests, CONCURRENCY at a time, each with a new key. */
async function throughput(base: string, pgPort: string): Promise<Run> {
  const appBefore = await appCpu(base);
  const pgBefore = await postgresCpu(pgPort);
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
  const app = await appCpu(base);
  const cpu = app.cpu - appBefore.cpu + (await postgresCpu(pgPort)) - pgBefore;
  latencies.sort((a, b) => a - b);
  return {
    rps: N / seconds,
    p50: pct(latencies, 50),
    p99: pct(latencies, 99),
    cpuUs: cpu / N,
    loopUs: (app.loop - appBefore.loop) / N,
  };
}

interface Run {
  rps: number;
  p50: number;
  p99: number;
  /** The server's CPU time per request (app process and Postgres), µs: what load on the machine barely moves. */
  cpuUs: number;
  /** The app's event loop busy time per request, µs: what the thread serving requests spends. */
  loopUs: number;
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
  return { batch25_ms: r2(med(batchMs)), singles25_ms: r2(med(singleMs)), ratio: r2(med(singleMs) / med(batchMs)) };
}

/** One configuration over the rounds: medians, and the min–max spread of throughput and of its ratio to bare. */
export interface ServerFigures {
  rps: number;
  rps_min: number;
  rps_max: number;
  /** req/s ÷ the bare handler's req/s of the same round. */
  ratio_to_bare: number;
  ratio_min: number;
  ratio_max: number;
  p50_ms: number;
  p99_ms: number;
  /** Server CPU per request (app process + Postgres), µs, median over rounds. */
  cpu_us: number;
  /** The app's event loop busy time per request, µs, median over rounds. */
  loop_us: number;
  batch25_ms?: number;
  singles25_ms?: number;
  /** singles ÷ batch */
  ratio?: number;
}

/** What bench/results/server.json holds. */
export interface ServerBenchResult {
  date: string;
  machine: string;
  quick: boolean;
  sizes: { requests: number; concurrency: number; rounds: number; batchRounds: number; batchSize: number };
  results: Record<string, ServerFigures>;
}

const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

/** The configurations, each in a process of its own: the bare handler first, then each store in each mode. */
const CONFIGS = {
  plain: { BENCH_MODE: 'plain' },
  pg: { BENCH_MODE: 'pg', BENCH_EFFECTS: 'in-transaction' },
  'pg-outside': { BENCH_MODE: 'pg', BENCH_EFFECTS: 'outside-database' },
  pglite: { BENCH_MODE: 'pglite', BENCH_EFFECTS: 'in-transaction' },
  'pglite-outside': { BENCH_MODE: 'pglite', BENCH_EFFECTS: 'outside-database' },
  // PgliteStore({ thread: true }): PGlite in a worker thread.
  'pglite-thread': { BENCH_MODE: 'pglite-thread', BENCH_EFFECTS: 'in-transaction' },
  'pglite-thread-outside': { BENCH_MODE: 'pglite-thread', BENCH_EFFECTS: 'outside-database' },
  // An experiment: Postgres with a pool of 20 connections, more than the 16 requests at a time.
  'pg-pool20': { BENCH_MODE: 'pg', BENCH_EFFECTS: 'in-transaction', BENCH_PG_MAX: '20' },
} as const;
const EXPERIMENTS: readonly string[] = ['pg-pool20'];
type Config = keyof typeof CONFIGS;

export async function runServerBench(): Promise<ServerBenchResult> {
  const loadAtStart = load();
  const postgres = await startPostgres();
  const children: ChildProcess[] = [];
  // Stopped from outside (a timeout, ^C): the apps and the throwaway cluster go too.
  const stop = (): void => {
    for (const c of children) c.kill('SIGKILL');
    void postgres.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', stop).once('SIGTERM', stop);
  try {
    const only = process.argv.includes('--only') ? String(process.argv[process.argv.indexOf('--only') + 1]) : '';
    // The bare handler always runs: every ratio is to it, in the same round.
    const pgPort = new URL(postgres.url).port;
    const names = (Object.keys(CONFIGS) as Config[]).filter(
      (n) => n === 'plain' || (only ? only.split(',').includes(n) : !EXPERIMENTS.includes(n)),
    );
    const urls = {} as Record<Config, string>;
    for (const name of names) {
      const app = await startApp({ ...CONFIGS[name], BENCH_PG_URL: postgres.url });
      children.push(app.child);
      urls[name] = app.url;
      // Warm up: connections, JIT, the store's first statements.
      for (let i = 0; i < 100; i++) await post(`${app.url}/api/messages`, payload(i), key());
    }
    const runs = Object.fromEntries(names.map((n) => [n, [] as Run[]])) as Record<Config, Run[]>;
    const ratios = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<Config, number[]>;
    for (let round = 0; round < ROUNDS; round++) {
      // Each round runs every configuration, in an order rotated by one each round, so load drift is shared.
      const order = names.map((_, i) => names[(i + round) % names.length] as Config);
      const rps = {} as Record<Config, number>;
      for (const name of order) {
        const run = await throughput(urls[name], pgPort);
        runs[name].push(run);
        rps[name] = run.rps;
      }
      for (const name of names) ratios[name].push(rps[name] / rps.plain);
      console.log(
        `server bench: round ${round + 1}/${ROUNDS}`,
        Object.fromEntries(names.map((n) => [n, Math.round(rps[n])])),
      );
    }
    const results: ServerBenchResult['results'] = {};
    for (const name of names) {
      const rs = runs[name].map((r) => r.rps);
      results[name] = {
        rps: Math.round(med(rs)),
        rps_min: Math.round(Math.min(...rs)),
        rps_max: Math.round(Math.max(...rs)),
        ratio_to_bare: r2(med(ratios[name])),
        ratio_min: r2(Math.min(...ratios[name])),
        ratio_max: r2(Math.max(...ratios[name])),
        p50_ms: r2(med(runs[name].map((r) => r.p50))),
        p99_ms: r2(med(runs[name].map((r) => r.p99))),
        cpu_us: Math.round(med(runs[name].map((r) => r.cpuUs))),
        loop_us: Math.round(med(runs[name].map((r) => r.loopUs))),
        ...((name === 'pg' || name === 'pglite') && BATCH_ROUNDS > 0 && (await batchVsSingles(urls[name]))),
      };
    }
    const out: ServerBenchResult = {
      date: new Date().toISOString(),
      machine: `${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, Node ${process.version}, load average (1, 5, 15 min) ${loadAtStart} at the start, ${load()} at the end`,
      quick,
      sizes: { requests: N, concurrency: CONCURRENCY, rounds: ROUNDS, batchRounds: BATCH_ROUNDS, batchSize: BATCH },
      results,
    };
    await mkdir(join(here, '../results'), { recursive: true });
    await writeFile(
      join(here, `../results/${quick ? 'server-quick' : 'server'}.json`),
      `${JSON.stringify(out, null, 2)}\n`,
    );
    return out;
  } finally {
    process.off('SIGINT', stop).off('SIGTERM', stop);
    for (const c of children) c.kill('SIGKILL');
    await postgres.stop();
  }
}

const LABELS: Record<string, string> = {
  plain: 'bare handler, no layer',
  pg: "Postgres 15 (pg), effects: 'in-transaction'",
  'pg-outside': "Postgres 15 (pg), effects: 'outside-database'",
  pglite: "PGlite (in memory), effects: 'in-transaction'",
  'pglite-outside': "PGlite (in memory), effects: 'outside-database'",
  'pglite-thread': "PGlite in a worker thread (thread: true), effects: 'in-transaction'",
  'pglite-thread-outside': "PGlite in a worker thread (thread: true), effects: 'outside-database'",
  'pg-pool20': "Postgres 15 (pg), a pool of 20 (experiment), effects: 'in-transaction'",
};

/** The server bench as a Markdown table (the CLI, `pnpm bench` and bench/RESULTS.md print the same one). */
export function serverTable(out: ServerBenchResult): string[] {
  return [
    '| server | req/s (min–max) | ÷ bare, same round (min–max) | p50 ms | p99 ms | server CPU µs/req | event loop µs/req | batch of 25, ms | 25 singles, ms | singles ÷ batch |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...Object.entries(out.results).map(
      ([mode, r]) =>
        `| ${LABELS[mode] ?? mode} | ${r.rps} (${r.rps_min}–${r.rps_max}) | ${r.ratio_to_bare}× (${r.ratio_min}–${r.ratio_max}) | ${r.p50_ms} | ${r.p99_ms} | ${r.cpu_us ?? '–'} | ${r.loop_us ?? '–'} | ${r.batch25_ms ?? '–'} | ${r.singles25_ms ?? '–'} | ${r.ratio === undefined ? '–' : `${r.ratio}×`} |`,
    ),
  ];
}
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = await runServerBench();
  console.log(`\n${out.machine}${quick ? '  (quick: sizes too small to mean anything)' : ''}\n`);
  console.log(serverTable(out).join('\n'));
}
