import { describe, expect, it } from 'vitest';
import type { Operation } from '../Operation.ts';
import type { SendResult, Transport } from '../Transport.ts';
import { sendBatch, sendOne } from './send.ts';

const op = (id: string) => ({ id }) as Operation;
const signal = new AbortController().signal;
const failing = (error: string) => expect.objectContaining({ ok: false, retryable: true, error });

describe('sendOne and sendBatch', () => {
  it('a transport that throws is a retryable failure of the op, never an exception', async () => {
    const transport: Transport = {
      send: () => Promise.reject(new Error('socket hang up')),
      sendBatch: () => Promise.reject(new Error('reset')),
    };
    expect(await sendOne(transport, op('a'), signal)).toEqual(failing('transport threw: socket hang up'));
    expect(await sendBatch(transport, [op('a'), op('b')], signal)).toEqual([failing('transport threw: reset')]);
  });

  it("a batch answer that is no array, or has nothing for the first op, is the first op's failure alone", async () => {
    let answer: unknown;
    const transport: Transport = {
      send: () => Promise.resolve({ ok: true }),
      sendBatch: () => Promise.resolve(answer as SendResult[]),
    };
    answer = { ok: true };
    expect(await sendBatch(transport, [op('a'), op('b')], signal)).toEqual([
      failing('transport threw: sendBatch did not answer with an array'),
    ]);
    answer = [];
    expect(await sendBatch(transport, [op('a'), op('b')], signal)).toEqual([
      failing('the batch answer had no result for its first op'),
    ]);
  });

  it('results beyond the batch are dropped; fewer results leave the rest unanswered', async () => {
    const ok: SendResult = { ok: true };
    let answer: SendResult[] = [];
    const transport: Transport = { send: () => Promise.resolve(ok), sendBatch: () => Promise.resolve(answer) };
    answer = [ok, ok, ok];
    expect(await sendBatch(transport, [op('a'), op('b')], signal)).toEqual([ok, ok]);
    answer = [ok];
    expect(await sendBatch(transport, [op('a'), op('b')], signal)).toEqual([ok]);
  });
});
