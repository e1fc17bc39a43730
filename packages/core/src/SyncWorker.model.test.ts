// The delivery model over MemoryStore (see testing/deliveryModel.ts).
import { it } from 'vitest';
import { MemoryStore } from './MemoryStore.ts';
import { deliveryModel } from './testing/deliveryModel.ts';

it('delivery holds over random interleavings (MemoryStore)', async () => {
  await deliveryModel(() => {
    // One instance for every "restart": its transactions stay serial, as IndexedDB's are.
    const store = new MemoryStore();
    return { open: async () => store, corrupt: async (id, raw) => void store.data.ops.set(id, raw) };
  }, 30);
}, 300_000);
