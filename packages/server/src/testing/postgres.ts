/**
 * A throwaway Postgres for tests: Debian's `postgresql` (installed with
 * apt-get when missing, as root or through sudo), a fresh cluster in a temp
 * dir owned by `postgres`, on a free loopback port, stopped and deleted by
 * `stop()`. `FERRY_PG_URL` points the tests at an existing database instead.
 * If Postgres cannot be started this throws: the suites that need it fail
 * loudly rather than skip.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, chownSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPostgres {
  /** e.g. `postgres://test@127.0.0.1:54321/postgres` */
  url: string;
  /**
   * Restarts the server (`pg_ctl restart -m fast`): every open connection is ended, as in a failover.
   * Not available for an existing database given by `FERRY_PG_URL` (throws).
   */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const isRoot = (): boolean => process.getuid?.() === 0;

function binDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
}

function install(): void {
  const sudo = isRoot() ? [] : ['sudo', '-n'];
  const run = (args: string[]): void => {
    const [cmd, ...rest] = [...sudo, ...args];
    execFileSync(cmd ?? 'apt-get', rest, {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  };
  run(['apt-get', 'update', '-qq']);
  run(['apt-get', 'install', '-y', '-qq', 'postgresql']);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function startPostgres(): Promise<TestPostgres> {
  const given = process.env['FERRY_PG_URL'];
  if (given) {
    const restart = async (): Promise<void> => {
      throw new Error('postgres: FERRY_PG_URL points at a database these tests cannot restart');
    };
    return { url: given, restart, stop: async () => undefined };
  }
  let bin = binDir();
  if (!bin) {
    install();
    bin = binDir();
    if (!bin)
      throw new Error('postgres: apt-get installed postgresql but no initdb was found under /usr/lib/postgresql');
  }
  const dir = mkdtempSync(join(tmpdir(), 'ferry-pg-'));
  // initdb refuses to run as root: as root, the cluster belongs to the `postgres` user Debian's package creates.
  const asOwner = (cmd: string, args: string[]): void => {
    const [file, argv] = isRoot() ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
    execFileSync(file, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  };
  if (isRoot()) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  const port = await freePort();
  // fsync off: these tests kill processes, not machines; a killed backend's transaction is rolled back either way.
  const opts =
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 ` +
    '-c fsync=off -c synchronous_commit=off -c max_connections=200';
  try {
    asOwner(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'test', '--no-sync', '-E', 'UTF8']);
    asOwner(join(bin, 'pg_ctl'), ['-D', data, '-o', opts, '-l', join(dir, 'log'), '-w', '-t', '60', 'start']);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`postgres: could not start a throwaway cluster: ${String(err)}\n${stderr}`);
  }
  return {
    url: `postgres://test@127.0.0.1:${port}/postgres`,
    async restart() {
      asOwner(join(bin, 'pg_ctl'), ['-D', data, '-o', opts, '-l', join(dir, 'log'), '-m', 'fast', '-w', 'restart']);
    },
    async stop() {
      try {
        asOwner(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
