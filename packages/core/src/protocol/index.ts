/**
 * The wire protocol between pages and the Ferry host: the one definition
 * both @ferry/sw and @ferry/client use (`@ferry/core/protocol`). Requests are
 * a discriminated union tagged by `type`, each with Ferry's marker
 * (`ferry: true`), the protocol version `v` and a request `id`; the host
 * answers over the MessagePort the page sent along. State changes go to
 * every page on a BroadcastChannel.
 *
 * This entry holds types, constants, the request validator and the broadcast
 * form of a change only, and lives in core, so the page client imports it
 * without the worker stack.
 */
export * from './names.ts';
export type * from './messages.ts';
export { parseRequest } from './parse.ts';
export type { Parsed } from './parse.ts';
export { summarize } from './summarize.ts';
