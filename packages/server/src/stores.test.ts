import { MemoryStore } from './MemoryStore.ts';
import { useDatabases } from './testing/databases.ts';
import { storeConformance } from './testing/storeConformance.ts';

for (const db of useDatabases()) {
  storeConformance(db.name, async () => ({ store: await db.store(), sql: db.sql() }));
}
storeConformance('memory', async () => ({ store: new MemoryStore() }), { sql: false });
