import type { Page } from 'playwright';

/** The reply of Ferry's host to one request: `{ ok: true, result }` or `{ ok: false, error }`. */
export interface WorkerReply {
  ok: boolean;
  result?: unknown;
  error?: { code: string; message: string };
}

/**
 * Sends one request of Ferry's page protocol (`{ type: 'ping' }`,
 * `{ type: 'status' }`, `{ type: 'list', query }`…; with `name` for a
 * named host) to the service worker
 * that controls `page`, as `@ferry/client` does, and resolves its reply; or
 * undefined when none comes within `timeoutMs` (a worker stopped mid-request,
 * or none that hosts Ferry).
 */
export function askWorker(
  page: Page,
  body: { type: string; [field: string]: unknown },
  timeoutMs = 2000,
): Promise<WorkerReply | undefined> {
  return page.evaluate(
    async ([message, ms]) => {
      const reg = await navigator.serviceWorker.ready;
      const worker = navigator.serviceWorker.controller ?? reg.active;
      const { port1, port2 } = new MessageChannel();
      return new Promise<WorkerReply | undefined>((resolve) => {
        const timer = setTimeout(() => resolve(undefined), ms);
        port1.onmessage = (e: MessageEvent<WorkerReply>) => {
          clearTimeout(timer);
          resolve(e.data);
        };
        worker?.postMessage({ ferry: true, v: 1, id: `testing-${Math.random()}`, ...message }, [port2]);
      });
    },
    [body, timeoutMs] as const,
  );
}

/**
 * Takes the browser context offline or back online, and waits until the
 * service worker sees it (its `navigator.onLine` follows a little later).
 * Call it while the worker runs: Playwright's `setOffline` can hang while
 * every service worker is stopped.
 */
export async function setOnline(page: Page, online: boolean, timeoutMs = 10_000): Promise<void> {
  await page.context().setOffline(!online);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reply = await askWorker(page, { type: 'ping' });
    if (reply?.ok === true && (reply.result as { online?: boolean }).online === online) return;
    if (Date.now() > deadline)
      throw new Error(`the service worker did not see online=${online} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
