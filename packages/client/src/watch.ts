/**
 * What a framework binding builds its op and list views from: one op kept current from the change
 * feed (`watchOp`), and one `list` query kept current with at most one request in flight
 * (`watchOps`). Each returns its stop. `@ferry/vue` and `@ferry/svelte` wrap them in their idioms.
 */
export { watchOp } from './lib/watchOp.ts';
export { queryKey, watchOps } from './lib/watchOps.ts';
