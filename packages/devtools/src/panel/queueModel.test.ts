import type { Operation, WalRecord } from '@ferry/core';
import { describe, expect, it } from 'vitest';
import { detailOf, lanesOf, mergePauses, pausedOrigins } from './queueModel.ts';

const op = (id: string, more: Partial<Operation>): Operation => ({
  id,
  kind: 'k',
  target: '/api/m',
  method: 'POST',
  payload: null,
  lane: 'a',
  idempotencyKey: id,
  status: 'pending',
  seq: 1,
  attempt: 0,
  nextAttemptAt: 100,
  createdAt: 0,
  updatedAt: 0,
  ...more,
});
const rec = (lsn: number, more: Partial<WalRecord>): WalRecord => ({
  v: 1,
  lsn,
  type: 'put',
  opId: 'x',
  at: 0,
  ...more,
});

describe('the queue view', () => {
  it('counts each lane of each user, with its hold and its next due op', () => {
    const rows = lanesOf([
      op('1', { lane: 'b', user: 'u', status: 'failed' }),
      op('2', { lane: 'a', nextAttemptAt: 50 }),
      op('3', { lane: 'a', status: 'inflight' }),
      op('4', { lane: 'a', nextAttemptAt: 20, user: 'u', held: 'needs-auth: refused' }),
      op('5', { lane: 'a', nextAttemptAt: 30 }),
    ]);
    expect(rows).toEqual([
      { lane: 'a', pending: 2, inflight: 1, failed: 0, nextAttemptAt: 30 },
      { lane: 'a', user: 'u', pending: 1, inflight: 0, failed: 0, held: 'needs-auth: refused' },
      { lane: 'b', user: 'u', pending: 0, inflight: 0, failed: 1 },
    ]);
  });

  it('lists the origins still paused, each until its latest pause ends', () => {
    const ops = [
      op('1', { target: 'https://api.example/x' }),
      op('2', { target: '/local' }),
      op('3', {}),
      op('4', { target: 'https://over.example/' }),
    ];
    const records = [
      rec(1, { type: 'defer', opId: '1', nextAttemptAt: 500 }),
      rec(2, { type: 'defer', opId: '2', nextAttemptAt: 400 }),
      rec(3, { type: 'defer', opId: '3', nextAttemptAt: 900 }),
      rec(4, { type: 'defer', opId: '1', nextAttemptAt: 50 }),
      rec(5, { type: 'retry', opId: '1', nextAttemptAt: 5000 }),
      rec(6, { type: 'defer', opId: 'gone', nextAttemptAt: 5000 }),
      rec(7, { type: 'defer', opId: '4', nextAttemptAt: 100 }),
    ];
    expect(pausedOrigins(records, ops, 100, 'https://app.example/page')).toEqual([
      { origin: 'https://api.example', until: 500 },
      { origin: 'https://app.example', until: 900 },
    ]);
  });

  it("says what a record adds: the error with its status, the hold's reason, the next attempt", () => {
    const error = { message: 'busy', status: 503, retryable: true, at: 0 };
    expect(detailOf(rec(1, { type: 'retry', error, nextAttemptAt: 1000 }))).toBe(
      '503 busy (retryable); next attempt 00:00:01.000',
    );
    expect(detailOf(rec(1, { type: 'hold', reason: 'needs-auth' }))).toBe('needs-auth');
    expect(detailOf(rec(1, { type: 'put' }))).toBe('');
  });
});

describe('mergePauses', () => {
  it("keeps each origin's latest end, and only the pauses still running", () => {
    const a = [
      { origin: 'https://a', until: 200 },
      { origin: 'https://b', until: 50 },
    ];
    const b = [
      { origin: 'https://a', until: 300 },
      { origin: 'https://c', until: 150 },
    ];
    expect(mergePauses(a, b, 100)).toEqual([
      { origin: 'https://a', until: 300 },
      { origin: 'https://c', until: 150 },
    ]);
  });
});
