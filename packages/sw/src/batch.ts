/**
 * `@ferry/sw/batch`: batch mode for the HTTP transport, several ops of a lane in one request. A worker that
 * does not batch does not ship it.
 */
export { batch } from './http/batch.ts';
export type { BatchMode } from './http/batch.ts';
