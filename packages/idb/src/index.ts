/**
 * @ferry/idb: Ferry's outbox and WAL on IndexedDB.
 *
 * @example
 * import { IdbStore } from '@ferry/idb';
 * const store = await IdbStore.open({ name: 'my-app' });
 */
export { IdbStore } from './IdbStore.ts';
export type { IdbStoreOptions } from './IdbStore.ts';
export { DEFAULT_DB_NAME, SCHEMA_VERSION } from './schema.ts';
