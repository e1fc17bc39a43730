import type { OutboxStore, QuarantinedRecord } from '@ferry/core';
import { IdbStore } from '@ferry/idb';

/**
 * The host's default store: IndexedDB, database `ferry`, with the store's
 * own durability default. Records moved aside as unreadable are reported.
 */
export const openDefaultStore = (onCorrupt: (record: QuarantinedRecord) => void): Promise<OutboxStore> => IdbStore.open({ onCorrupt });
