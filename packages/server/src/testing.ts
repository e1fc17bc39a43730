/**
 * `@ferry/server/testing`: the conformance suite a third-party {@link IdempotencyStore} runs to show it
 * keeps the rules the layer relies on. It registers vitest tests (`describe`/`it`), so vitest is needed.
 */
export { idempotencyStoreConformance } from './testing/idempotencyStoreConformance.ts';
export type { StoreHarness } from './testing/idempotencyStoreConformance.ts';
export type { IdempotencyStore } from './IdempotencyStore.ts';
