/**
 * Offline first, end to end: persist an operation first, fail to send it
 * while offline, see the attempt, last error and next retry time, then
 * deliver it when the network recovers. A virtual clock stands in for time.
 *
 *   pnpm --filter @ferry/core example:main
 */
import { MemoryStore, NetworkProbe, Outbox, SyncWorker } from '../src/index.ts';
import type { Operation, SendResult, Transport } from '../src/index.ts';
import { VirtualClock } from '../src/testing/VirtualClock.ts';

class ExampleTransport implements Transport {
  private online: boolean;

  constructor(online: boolean) {
    this.online = online;
  }

  setOnline(online: boolean): void {
    this.online = online;
  }

  async send(op: Operation): Promise<SendResult> {
    console.log(`[transport] sending: ${op.id} -> ${op.target}`);
    if (!this.online) return { ok: false, retryable: true, error: 'network offline' };
    return { ok: true };
  }
}

const store = new MemoryStore();
const clock = new VirtualClock();
const outbox = new Outbox({ store, clock, retry: { maxAttempts: 3, baseDelayMs: 500, factor: 2 } });
const probe = new NetworkProbe(() => true);
const transport = new ExampleTransport(false); // start offline
const worker = new SyncWorker({ outbox, transport, probe, clock, batchLimit: 10, owner: 'sync-example' });

// 1. Persist the operation BEFORE any network call.
const op = await outbox.enqueue({
  kind: 'message.send',
  target: '/api/messages',
  payload: { text: 'hello offline-first' },
});
console.log(`[app] operation saved: ${op.id}`);
// The outbox stamps the op with its clock.
const t0 = op.createdAt;

// 2. First tick: offline, fails with a retryable error.
console.log('\n[app] first sync attempt (offline)');
clock.set(t0 + 1);
console.log(`[worker] processed: ${await worker.tick()}`);
const afterOffline = await outbox.get(op.id);
if (afterOffline) {
  console.log(`[outbox] attempt: ${afterOffline.attempt}`);
  console.log(`[outbox] last_error: ${afterOffline.lastError?.message}`);
  console.log(
    `[outbox] next_retry_at_ms: ${afterOffline.nextAttemptAt} (in ${afterOffline.nextAttemptAt - (t0 + 1)} ms, with jitter)`,
  );
}

// 3. The network recovers: the next tick, once the op is due, succeeds.
console.log('\n[app] network recovers');
transport.setOnline(true);
const retryTime = afterOffline ? afterOffline.nextAttemptAt + 1 : t0 + 1000;
clock.set(retryTime);
console.log(`[worker] processed: ${await worker.tick()}`);
const final = await outbox.get(op.id);
console.log(`[outbox] final status: ${final?.status}`);
if (final?.status === 'done') console.log('[outbox] operation completed');

console.log('\n[outbox] stored record:');
console.log(JSON.stringify(final, null, 2));
