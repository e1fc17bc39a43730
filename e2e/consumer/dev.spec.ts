/**
 * `vite dev` with vite-plugin-pwa's dev worker (`devOptions: { enabled: true,
 * type: 'module' }`): the consumer app's own worker runs as an ES module,
 * Ferry's client uses the app's registration (never a second one), and an op
 * is delivered.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import type { FerryClient } from '../../packages/client/src/index.ts';
import { AppServer } from './AppServer.ts';
import { appDir, checkContents, makeApp, pack } from './consumer.ts';

interface AppWindow {
  ferry: FerryClient;
  ferryReady: Promise<unknown>;
}

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

test('vite dev: the module worker registered by vite-plugin-pwa hosts Ferry; the client uses that registration', async ({
  page,
}) => {
  test.setTimeout(300_000);
  if (!existsSync(join(appDir, '.ready'))) {
    const tarballs = pack();
    checkContents(tarballs);
    makeApp(tarballs);
  }
  const api = await AppServer.start(join(appDir, 'dist-v1'));
  const port = await freePort();
  const vite: ChildProcess = spawn(
    process.execPath,
    [
      join(appDir, 'node_modules', 'vite', 'bin', 'vite.js'),
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--strictPort',
    ],
    {
      cwd: appDir,
      env: { ...process.env, API_URL: api.url, APP_VERSION: 'dev' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let log = '';
  vite.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  vite.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  try {
    const url = `http://127.0.0.1:${port}/`;
    await expect
      .poll(
        () =>
          fetch(url).then(
            (r) => r.status,
            () => 0,
          ),
        { timeout: 60_000 },
      )
      .toBe(200);
    await page.goto(url);
    // Vite reloads the page once when it has optimized the dependencies it found on the first load.
    await expect(async () => {
      await page.waitForLoadState('load');
      await page.evaluate(() => (window as unknown as AppWindow).ferryReady);
    }).toPass({ timeout: 60_000 });
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 30_000 });
    const regs = await page.evaluate(async () =>
      (await navigator.serviceWorker.getRegistrations()).map((r) => r.active?.scriptURL ?? ''),
    );
    expect(regs, log).toHaveLength(1);
    expect(regs[0]).toContain('dev-sw.js');

    const id = await page.evaluate(() =>
      (window as unknown as AppWindow).ferry.enqueue({
        kind: 'message.send',
        target: '/api/messages',
        payload: { n: 'dev' },
      }),
    );
    const op = await page.evaluate(async (id) => (window as unknown as AppWindow).ferry.whenDone(id), id);
    expect(op.status, JSON.stringify(op.lastError)).toBe('done');
    expect(api.received.map((r) => [r.body, r.headers['x-app-version']])).toEqual([['{"n":"dev"}', 'dev']]);
  } finally {
    vite.kill();
    await api.close();
  }
});
