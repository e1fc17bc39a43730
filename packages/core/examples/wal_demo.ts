/**
 * The write-ahead log: an operation is put, claimed (which runner held it)
 * and done, and replaying the WAL shows what happened, in LSN order; a replay
 * from where the last one stopped visits nothing twice.
 *
 *   pnpm --filter @ferry/core example:wal
 */
import { MemoryStore, Outbox } from '../src/index.ts';

const outbox = new Outbox({ store: new MemoryStore() });

const op = await outbox.enqueue({
  id: 'op_1',
  kind: 'message.send',
  target: '/api/messages',
  payload: { text: 'hello' },
});
const [claimed] = await outbox.delivery.claim({ owner: 'wal-demo', lanes: 1, leaseMs: 30_000 });
if (claimed?.id !== op.id) throw new Error('the op was not claimed');
await outbox.delivery.exchange({ settlements: [{ run: [claimed], results: [{ ok: true }] }] });

console.log('replay:');
const resume = await outbox.wal.replay(0, (r) => {
  console.log(
    ` lsn=${r.lsn} id=${r.opId} type=${r.type} ts=${r.at}${r.op ? ` op=${JSON.stringify({ kind: r.op.kind, target: r.op.target })}` : ''}`,
  );
});
console.log(`resume from lsn ${resume}: replaying from there visits nothing twice`);
const again: number[] = [];
await outbox.wal.replay(resume, (r) => again.push(r.lsn));
console.log(`second replay from ${resume}: ${again.length} records`);
