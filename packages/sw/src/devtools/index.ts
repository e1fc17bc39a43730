/**
 * `@ferry/sw/devtools`: the host side of the DevTools panel (`@ferry/devtools`). Given to the host
 * (`createFerryHost({ devtools: devtoolsHost })`), it answers the panel's `history` requests from the WAL;
 * a host without it refuses them with `unsupported`, and a worker bundle that does not import this entry
 * contains none of it.
 */
import type { DevtoolsHost } from '../options.ts';
import { parseHistory } from './parseHistory.ts';
import { serveHistory } from './serveHistory.ts';

export type { DevtoolsHost } from '../options.ts';
export { serveHistory } from './serveHistory.ts';

/** What `createFerryHost({ devtools })` takes to serve the DevTools panel: its query checked, then served. */
export const devtoolsHost: DevtoolsHost = { history: (store, query) => serveHistory(store, parseHistory(query)) };
