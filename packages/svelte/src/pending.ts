import type { FerryClient } from '@ferry/client';
import type { PendingQuery } from '@ferry/client/pending';
import { createFerryPending } from '@ferry/client/pending';
import type { Operation } from '@ferry/core';
import type { Readable } from 'svelte/store';
import { sourceStore } from './lib/sourceStore.ts';

/**
 * `client`'s ops not yet done (`createFerryPending` from `@ferry/client/pending`), each with its
 * payload, status and `lastError`, as a readable store: for optimistic UI that survives a reload.
 * Empty until the first `list` answers; its first subscriber loads it (one `list`), then it is kept
 * from the change feed. When its last subscriber leaves, it stops listening. Make one per query,
 * outside components, and share it.
 */
export function pending(client: FerryClient, query: PendingQuery = {}): Readable<readonly Operation[]> {
  return sourceStore(createFerryPending(client, query));
}
