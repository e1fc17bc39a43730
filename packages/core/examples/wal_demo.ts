/**
 * The seed's wal_demo.cpp, ported: an operation is put, then done, and
 * replaying the WAL shows what happened in order. Ferry records the claim in
 * between (which runner held the op), and every record has its LSN.
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
const [claimed] = await outbox.claim('wal-demo', 1, 30_000);
if (claimed?.id !== op.id) throw new Error('the op was not claimed');
await outbox.complete(claimed);

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
