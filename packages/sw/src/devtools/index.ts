/**
 * `@ferry/sw/devtools`: the host side of the DevTools panel (`@ferry/devtools`). Given to the host
 * (`createFerryHost({ devtools: devtoolsHost })`), it answers the panel's `history` requests from the WAL and
 * its `pauses` requests (make an origin unreachable for N seconds) with the transport's per-origin pause;
 * a host without it refuses both with `unsupported`, and a worker bundle that does not import this entry
 * contains none of it.
 */
import type { DevtoolsHost } from '../options.ts';
import { parseHistory } from './parseHistory.ts';
import { serveHistory } from './serveHistory.ts';
import { servePauses } from './servePauses.ts';

export type { DevtoolsHost, OriginPauses } from '../options.ts';
export { serveHistory } from './serveHistory.ts';

/** What `createFerryHost({ devtools })` takes to serve the DevTools panel: each request checked, then served. */
export const devtoolsHost: DevtoolsHost = {
  history: (store, query) => serveHistory(store, parseHistory(query)),
  pauses: servePauses,
};
