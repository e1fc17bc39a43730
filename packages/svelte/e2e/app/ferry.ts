/**
 * The Svelte app's client and stores, made once in a module as docs/svelte.md sets an app up: its own client on
 * the worker the test page registered, the status snapshot, and the overlay of messages not yet done.
 */
import { createFerryClient } from '@ferry/client';
import { createFerryStatus } from '@ferry/client/status';
import { ferryStatus, pending } from '@ferry/svelte';

export const ferry = createFerryClient();
await ferry.register();
export const status = ferryStatus(createFerryStatus(ferry));
export const unsent = pending(ferry, { kind: 'message.send' });
