/**
 * PGlite on disk survives `kill -9` under load, on the main thread and in a worker thread: every
 * answer the killed process sent is replayed, byte for byte, by the process started again on the
 * same folder, and no message was written twice, also for the requests cut off mid-flight and sent
 * again.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const CHILD = fileURLToPath(new URL('./testing/pgliteChildServer.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const children: ChildProcess[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function start(dataDir: string, thread: boolean): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    cwd: ROOT,
    env: { ...process.env, FERRY_DATA_DIR: dataDir, FERRY_THREAD: thread ? '1' : '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.once('exit', (code) => reject(new Error(`child exited with ${code} before listening`)));
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const port = /listening (\d+)/.exec(out)?.[1];
      if (port) resolve({ url: `http://127.0.0.1:${port}`, child });
    });
  });
}

const send = (url: string, key: string) =>
  fetch(`${url}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify({ id: key }),
  });

for (const thread of [false, true]) {
  describe(`PgliteStore on disk${thread ? ', in a worker thread' : ''}`, () => {
    it('a process killed under load: every acknowledged answer is replayed after a restart, nothing applied twice', async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'ferry-pglite-kill-'));
      dirs.push(dataDir);
      const first = await start(dataDir, thread);
      const acked = new Map<string, string>();
      const keys: string[] = [];
      let killed = false;
      // 8 senders, each sending new keys until the process is killed after 40 acknowledged answers.
      await Promise.all(
        Array.from({ length: 8 }, async (_, sender) => {
          for (let i = 0; !killed; i++) {
            const key = `k-${sender}-${i}`;
            keys.push(key);
            try {
              const res = await send(first.url, key);
              const body = await res.text();
              if (res.status === 201) acked.set(key, body);
            } catch {
              return; // the connection died with the process
            }
            if (acked.size >= 40 && !killed) {
              killed = true;
              first.child.kill('SIGKILL');
            }
          }
        }),
      );
      // The exit may have come already, while the other senders' requests were failing.
      if (first.child.exitCode === null && first.child.signalCode === null)
        await new Promise((r) => first.child.once('exit', r));

      const again = await start(dataDir, thread);
      for (const [key, body] of acked) {
        const res = await send(again.url, key);
        expect(res.status, key).toBe(201);
        expect(res.headers.get('idempotent-replayed'), key).toBe('true');
        expect(await res.text(), key).toBe(body);
      }
      // The keys cut off mid-flight: applied now, or replayed if their commit made it. A key whose claim was
      // committed before the kill answers 409 (in progress) until its lease ends, then is applied.
      for (const key of keys.filter((k) => !acked.has(k))) {
        let res = await send(again.url, key);
        for (let n = 0; res.status === 409 && n < 20; n++) {
          await new Promise((r) => setTimeout(r, 500));
          res = await send(again.url, key);
        }
        expect(res.status, key).toBe(201);
      }
      const messages = (await (await fetch(`${again.url}/messages`)).json()) as { total: number; twice: string[] };
      expect(messages.twice).toEqual([]);
      expect(messages.total).toBe(keys.length);
      again.child.kill('SIGKILL');
    }, 300_000);
  });
}
