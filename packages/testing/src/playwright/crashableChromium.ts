import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { chromium } from 'playwright';
import type { Browser } from 'playwright';

export interface CrashableChromium {
  browser: Browser;
  process: ChildProcess;
  /** Kills the browser process with SIGKILL, as a crash or a power cut does, and waits for it to exit. */
  crash(): Promise<void>;
}

/**
 * Starts Chromium as a child process of this one on a persistent profile and
 * connects to it, so that a test can SIGKILL the real browser and relaunch on
 * the same profile (the same service worker registration and IndexedDB).
 * Playwright's own launchers hide a persistent context's process.
 * @param options.executablePath @default Playwright's Chromium (`chromium.executablePath()`)
 * @param options.args more command-line switches
 */
export async function launchCrashableChromium(
  profileDir: string,
  options: { executablePath?: string; args?: readonly string[] } = {},
): Promise<CrashableChromium> {
  const executable = options.executablePath ?? chromium.executablePath();
  const args = [...(options.args ?? []), '--headless', '--remote-debugging-port=0', `--user-data-dir=${profileDir}`];
  const child = spawn(executable, [...args, 'about:blank'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const endpoint = await new Promise<string>((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`chromium did not start:\n${err}`)), 30_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString();
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
      if (m?.[1] !== undefined) {
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

/** Deletes a browser profile; retried, since a crashed browser's children may still be writing into it. */
export async function removeProfile(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 });
}
