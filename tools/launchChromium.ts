import { rm } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chromium } from 'playwright';
import type { Browser } from 'playwright';
import { chromiumLaunch } from '../chromium.config.ts';

/**
 * Starts Debian's Chromium as our own child process on a persistent
 * profile and connects to it over CDP, so that a test can SIGKILL the real
 * browser process (a crash) and relaunch on the same profile. Playwright's
 * own launchers hide the process of a persistent context.
 */
export async function launchChromium(
  profileDir: string,
): Promise<{ browser: Browser; process: ChildProcess; crash: () => Promise<void> }> {
  const child = spawn(
    chromiumLaunch.executablePath,
    [...chromiumLaunch.args, '--headless', '--remote-debugging-port=0', `--user-data-dir=${profileDir}`, 'about:blank'],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const endpoint = await new Promise<string>((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`chromium did not start:\n${err}`)), 30_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString();
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`chromium exited with ${code}:\n${err}`)));
  });
  const browser = await chromium.connectOverCDP(endpoint);
  const crash = async (): Promise<void> => {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  };
  return { browser, process: child, crash };
}

/**
 * Deletes a Chromium profile directory. Right after a crash, Chromium's child
 * processes may still be writing into it (ENOTEMPTY), so removal is retried.
 */
export async function removeProfile(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 });
}
