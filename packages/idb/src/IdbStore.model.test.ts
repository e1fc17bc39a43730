// The delivery model (see @ferry/core/testing's deliveryModel) over IdbStore on fake-indexeddb.
import { deliveryModel } from '@ferry/core/testing';
import { it } from 'vitest';
import { IdbStore } from './IdbStore.ts';
import { IDBFactory, rawPut } from './lib/testSupport.ts';

it('delivery holds over random interleavings (IdbStore, fake-indexeddb)', async () => {
  await deliveryModel(() => {
    // One factory per run: a reopen finds the same data, as a restarted worker does.
    const factory = new IDBFactory();
    // Corruption writes the raw record over the op, past the store, as a damaged value would be found.
    const corrupt = (id: string, raw: Record<string, unknown>) => rawPut(factory, 'outbox', { ...raw, id });
    return { open: () => IdbStore.open({ indexedDB: factory }), corrupt };
  }, 12);
}, 600_000);
