import type { ChildProcess } from 'node:child_process';
import { execFileSync, spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { expect, say, test } from './fixtures.ts';

/**
 * The README's first command, run as a newcomer runs it: in a copy of the
 * repository that holds only what git would hand them (no `node_modules`, no
 * `dist`, no git-ignored folder such as `demo/.data`), in a shell whose
 * environment carries nothing of this test run's package manager.
 */
const repo = resolve(import.meta.dirname, '../..');

/** The first command of the README's quick start, without its comment. */
async function readmeFirstCommand(): Promise<string> {
  const readme = await readFile(join(repo, 'README.md'), 'utf8');
  const quickStart = readme.slice(readme.indexOf('## Quick start'));
  const block = /```sh\n([^\n]*)/.exec(quickStart);
  const command = block?.[1]?.replace(/#.*$/, '').trim();
  if (!command) throw new Error('README.md: no ```sh block under "## Quick start"');
  return command;
}

/** Copies the files git tracks or would track (working-tree content) into a new folder. */
async function cleanCopy(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-fresh-clone-'));
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: repo,
    encoding: 'utf8',
  });
  for (const file of listed.split('\0').filter(Boolean)) {
    const from = join(repo, file);
    const exists = await stat(from).then(
      (s) => s.isFile(),
      () => false,
    ); // a tracked file deleted in the work tree
    if (!exists) continue;
    await mkdir(dirname(join(dir, file)), { recursive: true });
    await copyFile(from, join(dir, file));
  }
  return dir;
}

/** This process's environment minus what `pnpm exec` added: a new user's shell has no npm_* variables and no workspace bin on PATH. */
function newUserEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!/^(npm_|pnpm_|PNPM_|INIT_CWD$|NODE_PATH$|PORT$)/.test(k)) env[k] = v;
  env['PATH'] = (process.env['PATH'] ?? '')
    .split(delimiter)
    .filter((p) => !p.includes('node_modules'))
    .join(delimiter);
  return env;
}

/** Resolves with the URL the demo prints; rejects with its output when it exits first or takes longer than `ms`. */
function urlPrinted(child: ChildProcess, output: () => string, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL after ${ms} ms:\n${output()}`)), ms);
    const look = (): void => {
      const url = /Ferry demo: (http:\/\/\S+?)\/?\s/.exec(output())?.[1];
      if (url !== undefined) {
        clearTimeout(timer);
        resolve(url);
      }
    };
    child.stdout?.on('data', look);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the command exited (${code ?? signal}) before printing a URL:\n${output()}`));
    });
  });
}

/** Ends the command and everything it started (it runs in its own process group). */
async function stopTree(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise((r) => child.once('exit', r));
  process.kill(-child.pid, 'SIGTERM');
  const timer = setTimeout(() => child.pid !== undefined && process.kill(-child.pid, 'SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

test("the README's first command starts the demo on a fresh clone, and a message sent in it reaches the server", async ({
  page,
}) => {
  test.setTimeout(300_000);
  const command = await readmeFirstCommand();
  const dir = await cleanCopy();
  let log = '';
  const child = spawn('bash', ['-c', command], {
    cwd: dir,
    env: newUserEnv(),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (b: Buffer) => (log += b.toString()));
  child.stderr.on('data', (b: Buffer) => (log += b.toString()));
  try {
    const url = await urlPrinted(child, () => log, 240_000);
    await page.goto(`${url}/`);
    await page.evaluate(() => window.demo.ready);
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    await say(page, 'hello from a fresh clone');
    const stored = async (): Promise<unknown[]> => {
      const res = await fetch(`${url}/api/messages`);
      const body = (await res.json()) as { messages: { text: string }[] };
      return body.messages.map((m) => m.text);
    };
    await expect.poll(stored, { timeout: 30_000 }).toEqual(['hello from a fresh clone']);
    expect(child.exitCode, log).toBeNull();
  } finally {
    await stopTree(child);
    await rm(dir, { recursive: true, force: true });
  }
});
