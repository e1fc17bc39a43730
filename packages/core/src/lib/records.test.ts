import { describe, expect, it } from 'vitest';
import type { Operation } from '../Operation.ts';
import { decodeOp, decodeWal, encodeOp } from './records.ts';

const op: Operation = {
  id: 'a',
  kind: 'k',
  target: '/t',
  method: 'POST',
  payload: null,
  lane: 'l',
  idempotencyKey: 'key',
  status: 'pending',
  seq: 7,
  attempt: 0,
  nextAttemptAt: 100,
  createdAt: 1,
  updatedAt: 1,
};

describe('decodeOp', () => {
  it('accepts what encodeOp writes, in every status', () => {
    expect(decodeOp(encodeOp(op, true))).toMatchObject({ id: 'a', dueKey: [100, 7] });
    expect(decodeOp(encodeOp(op, false))).not.toHaveProperty('dueKey');
    expect(typeof decodeOp(encodeOp({ ...op, status: 'inflight', leaseOwner: 'w', leaseUntil: 5 }, true))).toBe(
      'object',
    );
    expect(typeof decodeOp(encodeOp({ ...op, status: 'done' }, false))).toBe('object');
  });

  it('rejects records whose index keys disagree with their state', () => {
    const done = encodeOp({ ...op, status: 'done' }, false);
    expect(decodeOp({ ...done, dueKey: [0, 7] })).toMatch(/dueKey/);
    expect(decodeOp({ ...done, laneKey: ['l', 7] })).toMatch(/laneKey/);
    expect(decodeOp({ ...encodeOp(op, true), statusKey: ['done', 7] })).toMatch(/statusKey/);
    expect(decodeOp({ ...encodeOp(op, true), dueKey: [100, 8] })).toMatch(/dueKey/);
    expect(decodeOp({ ...done, leaseUntil: 3 })).toMatch(/lease/);
    expect(decodeOp({ ...encodeOp(op, true), v: 2 })).toMatch(/version/);
    expect(decodeOp('x')).toBe('not an object');
  });
});

describe('decodeWal', () => {
  const record = { v: 1, lsn: 3, opId: 'a', at: 10 };

  it('reads the record types earlier versions wrote for a deleted op as remove', () => {
    expect(decodeWal({ ...record, type: 'cancel' })).toEqual({ ...record, type: 'remove' });
    expect(decodeWal({ ...record, type: 'discard' })).toEqual({ ...record, type: 'remove' });
    expect(decodeWal({ ...record, type: 'remove' })).toEqual({ ...record, type: 'remove' });
  });

  it('rejects a type it does not know', () => {
    expect(decodeWal({ ...record, type: 'vanish' })).toBe('bad type');
  });
});
