import { MemoryStore } from './MemoryStore.ts';
import { storeConformance } from './testing/storeConformance.ts';

storeConformance('MemoryStore', () => {
  let last: MemoryStore | undefined;
  return {
    open: async () => (last = new MemoryStore(last ? { data: last.data } : {})),
    corrupt: async (id, raw) => void last!.data.ops.set(id, raw),
  };
});
