import { MemoryIdempotencyStore } from './MemoryIdempotencyStore.ts';
import { useDatabases } from './testing/databases.ts';
import { idempotencyStoreConformance } from './testing.ts';

for (const db of useDatabases()) {
  idempotencyStoreConformance(db.name, async () => ({ store: await db.store(), sql: db.sql() }));
}
idempotencyStoreConformance('memory', async () => ({ store: new MemoryIdempotencyStore() }), { sql: false });
