/// <reference lib="dom" />
/**
 * The test page: a Ferry client on `window.ferry`, its identity on `window.users`, every broadcast change in
 * `window.changes`, and `window.raw` to post arbitrary messages to the worker.
 * Flags come from the page's query string:
 * `noforward` (do not forward online/visibility), `nosync`, `noregister`
 * (passed on to the worker script, with sw.ts's numeric flags), `mode=page`
 * (run the host in the page), `timeout` (the client's request timeout, ms), `devtools` (mount the DevTools
 * panel; passed on to the worker, which serves it).
 */
import type { FerryClient } from '../../packages/client/src/index.ts';
import { createFerryClient } from '../../packages/client/src/index.ts';
import type { FerryIdentity } from '../../packages/client/src/identity.ts';
import { createFerryIdentity } from '../../packages/client/src/identity.ts';
import { pageHost } from '../../packages/client/src/page.ts';
import { mountFerryDevtools } from '../../packages/devtools/src/index.ts';
import type { ChangeSummary, Reply } from '../../packages/core/src/protocol/index.ts';

declare global {
  interface Window {
    ferry: FerryClient;
    users: FerryIdentity;
    changes: ChangeSummary[];
    ferryReady: Promise<boolean>;
    /**
     * Posts `message` to the active worker, with Ferry's marker (`ferry: true`) added when it is an object
     * and `mark` is true; resolves with the reply, or 'no-reply' after `ms`.
     */
    raw(message: unknown, ms?: number, mark?: boolean): Promise<Reply | 'no-reply'>;
    /** With the `provider` flag: the token the client's credentials provider hands over, and whether a refresh fails (an auth server down). */
    auth: { token: string; failing: boolean; asked: number };
    /** Asks the worker's own (the app's, not Ferry's) message handler for its version; every reply that came within 1 s. */
    appVersion(): Promise<unknown[]>;
  }
}

const flags = new URLSearchParams(location.search);
/** Flags passed on to the worker script (see sw.ts). */
const SW_FLAGS = [
  'nosync',
  'noregister',
  'sendTimeout',
  'lease',
  'attempts',
  'recheck',
  'batch',
  'defaults',
  'apps',
  'devtools',
];
const swFlags = new URLSearchParams([...flags].filter(([k]) => SW_FLAGS.includes(k)));
const pageMode = flags.get('mode') === 'page';

const name = flags.get('name');
window.auth = { token: '', failing: false, asked: 0 };
const ferry = createFerryClient({
  ...(name && { name }),
  forwardEvents: !flags.has('noforward'),
  timeoutMs: Number(flags.get('timeout') ?? 10_000),
  ...(pageMode && {
    page: {
      host: pageHost({ retry: { baseDelayMs: 100, maxDelayMs: 1000, jitter: false, maxAttempts: 5 } }),
      always: true,
    },
  }),
});
window.ferry = ferry;
window.users = createFerryIdentity(ferry, {
  // `provider`: credentials from a provider, as an app with a token refresh gives them.
  ...(flags.has('provider') && {
    credentials: async () => {
      window.auth.asked++;
      if (window.auth.failing) throw new Error('auth server: 503');
      return { headers: { Authorization: `Bearer ${window.auth.token}` } };
    },
  }),
});
window.changes = [];
ferry.subscribe((c) => window.changes.push(c));
if (flags.has('devtools')) mountFerryDevtools(ferry);

const isObject = (m: unknown): m is object => typeof m === 'object' && m !== null && !Array.isArray(m);
window.raw = async (message, ms = 2000, mark = true) => {
  const reg = await navigator.serviceWorker.ready;
  const worker = navigator.serviceWorker.controller ?? reg.active;
  const { port1, port2 } = new MessageChannel();
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('no-reply'), ms);
    port1.onmessage = (e: MessageEvent<Reply>) => {
      clearTimeout(timer);
      resolve(e.data);
    };
    worker?.postMessage(mark && isObject(message) ? { ferry: true, ...message } : message, [port2]);
  });
};

window.appVersion = async () => {
  const worker = navigator.serviceWorker.controller ?? (await navigator.serviceWorker.ready).active;
  const { port1, port2 } = new MessageChannel();
  const replies: unknown[] = [];
  port1.onmessage = (e: MessageEvent) => replies.push(e.data);
  worker?.postMessage({ type: 'GET_VERSION' }, [port2]);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  port1.close();
  return replies;
};

const q = swFlags.toString();
window.ferryReady = ferry.register(`/sw.js${q ? `?${q}` : ''}`).then(() => true);
