/**
 * One small interface over the three engines Ferry is tested in, so that each
 * scenario in `engines.test.ts` is written once:
 *
 * - Chromium (Debian's) and Firefox ESR through Playwright's library
 *   (`channel: 'moz-firefox'`: WebDriver BiDi, with the pnpm patch of
 *   playwright-core in `patches/`, shared/NOTES.md);
 * - WebKitGTK through WebKitWebDriver and webdriverio (classic WebDriver),
 *   with `tools/webkitBrowser.py` as the browser so that the profile can
 *   persist across a restart, under its own Xvfb.
 *
 * What each driver cannot do is a property here (`network`, `stopWorker`),
 * and each scenario says what it does instead.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright';
import { chromium, firefox } from 'playwright';
import { remote } from 'webdriverio';
import { chromiumLaunch } from '../../chromium.config.ts';

export type EngineName = 'chromium' | 'firefox' | 'webkit';
export const ENGINES: readonly EngineName[] = ['chromium', 'firefox', 'webkit'];

export const firefoxPath = process.env.FERRY_FIREFOX ?? '/usr/bin/firefox-esr';
export const webkitDriverPath = process.env.FERRY_WEBKIT_DRIVER ?? '/usr/bin/WebKitWebDriver';
const webkitBrowser = fileURLToPath(new URL('../../tools/webkitBrowser.py', import.meta.url));

/** One tab. */
export interface Tab {
  /** Runs `fn(arg)` in the page; resolves with what it returns (a promise is awaited). */
  run<A, R>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>;
  goto(url: string): Promise<void>;
  reload(): Promise<void>;
  /** Types `text` into the element and presses Enter, as a user does. */
  type(selector: string, text: string): Promise<void>;
  close(): Promise<void>;
}

export interface EngineBrowser {
  readonly engine: EngineName;
  /**
   * What the driver's network emulation reaches: `page+worker` (Chromium: the
   * page's and the worker's fetch fail, `navigator.onLine` is false in both),
   * `page` (Firefox through BiDi: the page goes offline, its service worker's
   * fetch still reaches the network and its `navigator.onLine` stays true), or
   * `none` (WebKitWebDriver has no network emulation).
   */
  readonly network: 'page+worker' | 'page' | 'none';
  /** Switches the driver's network emulation; a no-op where there is none. */
  setOffline(offline: boolean): Promise<void>;
  /**
   * Kills the service worker, where the driver can: only Chromium (CDP
   * `ServiceWorker.stopAllWorkers`). Firefox through BiDi has no way: its own
   * lifetime limits stop the worker instead (`workerLifetimeMs`). WebKitGTK
   * runs the worker in the page's web process, and killing that process makes
   * WebKitWebDriver delete the session ("session deleted because of page
   * crash or hang"); there the worker is stopped by WebKit itself once no page
   * of its origin is open (engines.test.ts, worker-restart).
   */
  readonly stopWorker?: { run(): Promise<void> };
  newTab(): Promise<Tab>;
  /**
   * Kills the browser as a crash does: SIGKILL of its main process and every
   * process under it (content, network, web and GPU processes), all at once,
   * found by the profile directory in the main process's arguments. Only a
   * browser launched on a `profile` has it. `close()` is still to be called.
   */
  readonly crash?: () => Promise<number>;
  /** Ends the browser as a user quitting it does. */
  close(): Promise<void>;
}

export interface LaunchOptions {
  /**
   * A persistent profile directory. Without one (and without
   * `workerLifetimeMs`), Chromium and Firefox give a fresh context of one
   * browser shared by the tests (its storage is in memory; `closeShared()`
   * ends it), and WebKit a fresh temporary profile.
   */
  profile?: string;
  /**
   * Firefox only: `dom.serviceWorkers.idle_timeout` and `idle_extended_timeout`
   * (30 s each by default), so that Firefox itself stops a busy worker soon.
   */
  workerLifetimeMs?: number;
}

export async function launch(engine: EngineName, options: LaunchOptions = {}): Promise<EngineBrowser> {
  return engine === 'webkit' ? launchWebKit(options) : launchPlaywright(engine, options);
}

// ---------------------------------------------------------------- Playwright

function playwrightTab(page: Page): Tab {
  return {
    run: <A, R>(fn: (arg: A) => R | Promise<R>, arg: A) =>
      // Without Playwright's argument-type mapping, which recurses without end over JsonValue (e2e/lib.ts).
      (page.evaluate as (fn: (arg: A) => R | Promise<R>, arg: A) => Promise<R>).call(page, fn, arg),
    goto: async (url) => void (await page.goto(url)),
    reload: async () => void (await page.reload()),
    type: async (selector, text) => {
      await page.locator(selector).fill(text);
      await page.locator(selector).press('Enter');
    },
    close: () => page.close(),
  };
}

const firefoxOptions = { channel: 'moz-firefox', executablePath: firefoxPath, headless: true } as const;

const shared = new Map<'chromium' | 'firefox', Promise<Browser>>();

/** Ends the browsers `launch` shared between tests. */
export async function closeShared(): Promise<void> {
  const all = [...shared.values()];
  shared.clear();
  for (const b of all) await (await b.catch(() => undefined))?.close();
}

async function launchPlaywright(engine: 'chromium' | 'firefox', options: LaunchOptions): Promise<EngineBrowser> {
  const reuse = options.profile === undefined && options.workerLifetimeMs === undefined;
  const own = options.profile === undefined;
  const profile = reuse ? '' : (options.profile ?? (await mkdtemp(join(tmpdir(), `ferry-${engine}-`))));
  let context: BrowserContext;
  if (reuse) {
    let browser = shared.get(engine);
    if (!browser) {
      browser =
        engine === 'chromium' ? chromium.launch({ headless: true, ...chromiumLaunch }) : firefox.launch(firefoxOptions);
      shared.set(engine, browser);
    }
    context = await (await browser).newContext();
  } else if (engine === 'chromium') {
    context = await chromium.launchPersistentContext(profile, { headless: true, ...chromiumLaunch });
  } else {
    const life = options.workerLifetimeMs;
    context = await firefox.launchPersistentContext(profile, {
      ...firefoxOptions,
      firefoxUserPrefs: {
        ...(life !== undefined && {
          'dom.serviceWorkers.idle_timeout': life,
          'dom.serviceWorkers.idle_extended_timeout': life,
        }),
      },
    });
  }
  // A persistent context opens with one blank page; tabs are made on demand.
  const blank = context.pages()[0];
  let first = true;
  const stopWorker =
    engine === 'chromium'
      ? {
          run: async () => {
            const page = context.pages()[0] ?? (await context.newPage());
            const cdp = await context.newCDPSession(page);
            await cdp.send('ServiceWorker.enable');
            await cdp.send('ServiceWorker.stopAllWorkers');
            await cdp.detach();
          },
        }
      : undefined;
  return {
    engine,
    network: engine === 'chromium' ? 'page+worker' : 'page',
    setOffline: (offline) => context.setOffline(offline),
    ...(stopWorker && { stopWorker }),
    ...(!reuse && { crash: () => killBrowserOn(profile) }),
    newTab: async () => {
      const page = first && blank ? blank : await context.newPage();
      first = false;
      return playwrightTab(page);
    },
    close: async () => {
      // After a crash Playwright has seen the browser go, and this only tidies up.
      await context.close().catch(() => {});
      if (own && !reuse) await rm(profile, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 });
    },
  };
}

// ---------------------------------------------------------------- crashes

/** A process as /proc shows it: its parent, its state letter, its arguments. */
interface Proc {
  pid: number;
  ppid: number;
  state: string;
  argv: string[];
}

async function processes(): Promise<Proc[]> {
  const out: Proc[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = await readFile(`/proc/${name}/stat`, 'utf8');
      // pid (comm) state ppid …: comm may hold spaces and parentheses, so read after the last ')'.
      const [state = '', ppid = '0'] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const argv = (await readFile(`/proc/${name}/cmdline`, 'utf8')).split('\0').filter(Boolean);
      out.push({ pid: Number(name), ppid: Number(ppid), state, argv });
    } catch {
      // Gone between readdir and read.
    }
  }
  return out;
}

/**
 * SIGKILLs, at once, every process whose arguments name the profile directory
 * (`--profile DIR`, `--user-data-dir=DIR`, `--profile=DIR`) and all processes
 * under them, then waits until each is gone or a zombie. The profile is a
 * fresh temporary directory, so only the browser this test launched matches.
 * @returns how many processes were killed
 */
async function killBrowserOn(profile: string): Promise<number> {
  const all = await processes();
  const names = (p: Proc): boolean => p.argv.some((a) => a === profile || a.endsWith(`=${profile}`));
  const doomed = new Set(all.filter(names).map((p) => p.pid));
  if (doomed.size === 0) throw new Error(`no browser process runs on ${profile}`);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of all) {
      if (!doomed.has(p.pid) && doomed.has(p.ppid)) {
        doomed.add(p.pid);
        grew = true;
      }
    }
  }
  for (const pid of doomed) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
  const deadline = Date.now() + 10_000;
  for (;;) {
    const left = (await processes()).filter((p) => doomed.has(p.pid) && p.state !== 'Z');
    if (left.length === 0) return doomed.size;
    if (Date.now() > deadline) throw new Error(`still running after SIGKILL: ${left.map((p) => p.pid).join(' ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// ---------------------------------------------------------------- WebKitGTK

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Starts WebKitWebDriver, under its own `xvfb-run -a` when there is no display. */
async function startDriver(): Promise<{ port: number; process: ChildProcess; stop(): Promise<void> }> {
  const port = await freePort();
  const args = [`--port=${port}`, '--host=127.0.0.1'];
  const child = process.env.DISPLAY
    ? spawn(webkitDriverPath, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true })
    : spawn('xvfb-run', ['-a', webkitDriverPath, ...args], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let err = '';
  child.stderr?.on('data', (c: Buffer) => void (err += c.toString()));
  // The driver answers /status once it listens.
  const deadline = Date.now() + 20_000;
  for (;;) {
    const up = await fetch(`http://127.0.0.1:${port}/status`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`WebKitWebDriver did not start:\n${err}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.pid === undefined) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    // The whole group: xvfb-run, Xvfb, the driver and whatever the driver left.
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {}
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {}
  };
  return { port, process: child, stop };
}

async function launchWebKit(options: LaunchOptions): Promise<EngineBrowser> {
  const own = options.profile === undefined;
  const profile = options.profile ?? (await mkdtemp(join(tmpdir(), 'ferry-webkit-')));
  const driver = await startDriver();
  let b: WebdriverIO.Browser;
  try {
    b = await remote({
      hostname: '127.0.0.1',
      port: driver.port,
      logLevel: 'warn',
      connectionRetryCount: 0,
      capabilities: {
        'wdio:enforceWebDriverClassic': true,
        'webkitgtk:browserOptions': { binary: webkitBrowser, args: [`--profile=${profile}`] },
      } as WebdriverIO.Capabilities,
    });
  } catch (err) {
    await driver.stop();
    throw err;
  }
  await b.setTimeout({ script: 60_000 });
  // WebDriver classic drives one window at a time: every call switches to its tab first, one call at a time.
  let queue: Promise<unknown> = Promise.resolve();
  let current = await b.getWindowHandle();
  const inTab = <R>(handle: string, fn: () => Promise<R>): Promise<R> => {
    const next = queue.then(async () => {
      if (current !== handle) {
        await b.switchToWindow(handle);
        current = handle;
      }
      return fn();
    });
    queue = next.catch(() => {});
    return next;
  };
  let first = true;
  const webkitTab = (handle: string): Tab => ({
    run: <A, R>(fn: (arg: A) => R | Promise<R>, arg: A) =>
      // Execute Script awaits a returned promise (WebDriver §13.2).
      // webdriverio's typing of `execute` maps element arguments; ours are plain JSON.
      inTab(handle, () =>
        (b.execute as unknown as (fn: (arg: A) => R | Promise<R>, arg: A) => Promise<R>).call(b, fn, arg),
      ),
    goto: (url) => inTab(handle, () => b.url(url)).then(() => {}),
    reload: () => inTab(handle, () => b.refresh()).then(() => {}),
    type: (selector, text) =>
      inTab(handle, async () => {
        await b.$(selector).setValue(text);
        await b.keys('Enter');
      }),
    close: () =>
      inTab(handle, async () => {
        await b.closeWindow();
        const left = await b.getWindowHandles();
        if (left[0]) {
          await b.switchToWindow(left[0]);
          current = left[0];
        }
      }),
  });
  return {
    engine: 'webkit',
    network: 'none',
    setOffline: async () => {},
    // The browser is tools/webkitBrowser.py (under WebKitWebDriver), with WebKit's web and network
    // processes under it; the network process is the one that writes IndexedDB.
    crash: () => killBrowserOn(profile),
    newTab: async () => {
      if (first) {
        first = false;
        return webkitTab(current);
      }
      const { handle } = await inTab(current, () => b.createWindow('tab'));
      return webkitTab(handle);
    },
    close: async () => {
      await b.deleteSession().catch(() => {});
      await driver.stop();
      if (own) await rm(profile, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 });
    },
  };
}
