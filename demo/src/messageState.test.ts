import { describe, expect, it } from 'vitest';
import { messageState } from './messageState.ts';

const at = 1_000_000;
const err = (message: string, retryable = true) => ({ message, retryable, at });

describe('messageState', () => {
  it('names the four op statuses the way the chat shows them', () => {
    expect(messageState({ status: 'pending', attempt: 0, nextAttemptAt: at }, at).state).toBe('pending');
    expect(messageState({ status: 'inflight', attempt: 0, nextAttemptAt: at }, at).state).toBe('sending');
    expect(messageState({ status: 'done', attempt: 1, nextAttemptAt: at }, at).state).toBe('sent');
    expect(
      messageState({ status: 'failed', attempt: 1, nextAttemptAt: at, lastError: err('HTTP 422 bad', false) }, at),
    ).toEqual({
      state: 'failed',
      detail: 'HTTP 422 bad',
    });
  });

  it('says when a retrying message is tried next, and why the last try failed', () => {
    const view = messageState(
      { status: 'pending', attempt: 2, nextAttemptAt: at + 4_200, lastError: err('HTTP 503') },
      at,
    );
    expect(view.state).toBe('retrying');
    expect(view.detail).toMatch(/in 5 s\) · HTTP 503$/);
    expect(
      messageState({ status: 'pending', attempt: 0, nextAttemptAt: at, lastError: err('network error') }, at, false)
        .detail,
    ).toMatch(/when the network returns/);
  });

  it('shows an op put back by retry() as pending, not retrying', () => {
    expect(
      messageState({ status: 'pending', attempt: 0, nextAttemptAt: at, lastError: err('HTTP 422', false) }, at).state,
    ).toBe('pending');
    expect(
      messageState(
        { status: 'pending', attempt: 0, nextAttemptAt: at, lastError: err('gave up after 8 attempts: HTTP 503') },
        at,
      ).state,
    ).toBe('pending');
  });
});
