// Every entry Ferry publishes, imported as an app would: type-checked with
// moduleResolution bundler and nodenext, skipLibCheck off (consumer.ts).
import * as core from '@ferry/core';
import type * as batch from '@ferry/core/batch';
import * as internal from '@ferry/core/internal';
import * as protocol from '@ferry/core/protocol';
import * as testing from '@ferry/core/testing';
import * as idb from '@ferry/idb';
import * as sw from '@ferry/sw';
import * as swTesting from '@ferry/sw/testing';
import * as swCredentials from '@ferry/sw/credentials';
import * as swBatch from '@ferry/sw/batch';
import * as client from '@ferry/client';
import * as page from '@ferry/client/page';
import * as clientStatus from '@ferry/client/status';
import * as identity from '@ferry/client/identity';
import * as watch from '@ferry/client/watch';
import * as workbox from '@ferry/workbox';
import * as react from '@ferry/react';
import * as vue from '@ferry/vue';
import * as svelte from '@ferry/svelte';
import { createApp, effectScope } from 'vue';

export const entries = [
  core,
  internal,
  protocol,
  testing,
  idb,
  sw,
  swTesting,
  swCredentials,
  swBatch,
  client,
  page,
  clientStatus,
  identity,
  watch,
  workbox,
  react,
  vue,
  svelte,
];
const host: sw.FerryHost = sw.createFerryHost({ retry: { maxAttempts: 3 } });
const withFeatures: sw.FerryHost = sw.createFerryHost({
  credentials: swCredentials.credentials({ persist: false }),
  transport: { batch: swBatch.batch({ target: '/api/batch' }) },
  delivery: { batchSize: 10 },
});
const ferry: client.FerryClient = client.createFerryClient({ page: { host: page.pageHost() } });
const status: react.FerryStatus = clientStatus.createFerryStatus(ferry)();
const users: identity.FerryIdentity = identity.createFerryIdentity(ferry);
const hooks = [react.FerryProvider, react.useFerryStatus, react.useOp, react.useOps, react.useEnqueue];
// Vue: the plugin, and the composables in a scope of the app, as a component's setup runs them.
const app = createApp({}).use(vue.ferryPlugin({ client: ferry, status: clientStatus.createFerryStatus(ferry) }));
const composables:
  { pending: number; op: string | undefined; ops: number | undefined; enqueue: Promise<string> } | undefined =
  app.runWithContext(() =>
    effectScope().run(() => ({
      pending: vue.useFerryStatus().value.counts.pending,
      op: vue.useOp(() => 'id', { recheckMs: 5000 }).value?.status,
      ops: vue.useOps({ lane: 'chat' }, { maxWaitMs: 100 }).value?.length,
      enqueue: vue.useEnqueue()({ kind: 'k', target: '/a', payload: 1 }),
    })),
  );
// Svelte: readable stores, subscribed as `$store` subscribes.
const seen: (string | number | undefined)[] = [];
const stores = [
  svelte.ferryStatus(clientStatus.createFerryStatus(ferry)).subscribe((s) => seen.push(s.counts.pending)),
  svelte.op(ferry, 'id', { recheckMs: 5000 }).subscribe((op) => seen.push(op?.status)),
  svelte.ops(ferry, { lane: 'chat' }, { maxWaitMs: 100 }).subscribe((ops) => seen.push(ops?.length)),
];
const item: batch.BatchItem = { target: '/a', method: 'POST', idempotencyKey: 'k' };
export const used = [
  item,
  host,
  withFeatures,
  ferry,
  status,
  users,
  hooks,
  composables,
  stores,
  protocol.isFerryMessage({ ferry: true }),
  core.RETRY_DEFAULTS.maxAttempts,
  testing.VirtualClock,
];
