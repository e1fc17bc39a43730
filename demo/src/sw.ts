/// <reference lib="webworker" />
/**
 * The demo's service worker: Ferry's host, plus an app-shell cache so the
 * page opens offline. Built into one classic script, `/sw.js` (demo/buildDemo.ts).
 *
 * Flags in the script URL (the page passes its own query on): `fast` makes
 * retries quick (tests); `attempts=N` sets the attempt budget.
 */
import { createFerryHost } from '@ferry/sw';
import { batch } from '@ferry/sw/batch';
import { credentials } from '@ferry/sw/credentials';
import { devtoolsHost } from '@ferry/sw/devtools';
import { shellCache } from './shellCache.ts';

declare const self: ServiceWorkerGlobalScope;
/** The built page's files and a build id, filled in by the build. */
declare const __FERRY_SHELL__: string[];
declare const __FERRY_BUILD__: string;

const flags = new URLSearchParams(self.location.search);
const fast = flags.has('fast');
const attempts = Number(flags.get('attempts'));

createFerryHost({
  // Batch mode: a conversation's backlog goes out up to 25 messages per request (demo/server: POST /api/batch).
  transport: { timeoutMs: fast ? 3_000 : 15_000, batch: batch({ target: '/api/batch' }) },
  // The page signs users in (createFerryIdentity): each user's messages go with that user's token only.
  credentials: credentials(),
  retry: {
    ...(fast && { baseDelayMs: 50, maxDelayMs: 500, maxAttempts: 30 }),
    ...(Number.isInteger(attempts) && attempts > 0 && { maxAttempts: attempts }),
  },
  // The page forwards `online`; this is the fallback re-check while the worker thinks it is offline.
  delivery: { offlineRecheckMs: fast ? 1_000 : 5_000 },
  // The page's DevTools panel reads each op's history and pauses origins through it. The demo is for
  // developers, so its build serves the panel too; an app passes it in development only.
  devtools: devtoolsHost,
}).listen(self, { skipWaiting: true, clientsClaim: true });

shellCache(self, { files: __FERRY_SHELL__, version: __FERRY_BUILD__ });
