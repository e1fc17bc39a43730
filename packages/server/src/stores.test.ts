import { afterAll, beforeAll } from 'vitest';
import { MemoryIdempotencyStore } from './MemoryIdempotencyStore.ts';
import { pgliteThread } from './sql/pgliteThread.ts';
import { OneConnectionStore } from './sql/OneConnectionStore.ts';
import { useDatabases } from './testing/databases.ts';
import { idempotencyStoreConformance } from './testing.ts';

for (const db of useDatabases()) {
  idempotencyStoreConformance(db.name, async () => ({ store: await db.store(), sql: db.sql() }));
}

// One worker for the suite (a PGlite takes seconds to start), a table of its own for each test.
let thread: ReturnType<typeof pgliteThread>;
let tables = 0;
beforeAll(async () => {
  thread = pgliteThread(undefined);
  await thread.query('SELECT 1');
}, 120_000);
afterAll(async () => thread?.close());
idempotencyStoreConformance('embedded (PGlite) in a worker thread', async () => {
  const shared = thread;
  const store = new OneConnectionStore({ ...shared, close: async () => undefined }, `thread_keys_${++tables}`);
  await store.ready();
  return { store, sql: shared };
});
idempotencyStoreConformance('memory', async () => ({ store: new MemoryIdempotencyStore() }), { sql: false });
