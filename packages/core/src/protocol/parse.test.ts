import { describe, expect, it } from 'vitest';
import { MAX_BATCH } from './names.ts';
import { parseRequest } from './parse.ts';

const env = { v: 1, id: 'r1' };

describe('parseRequest accepts every request type', () => {
  it.each([
    { type: 'enqueue', op: { kind: 'k', target: '/a', payload: null } },
    {
      type: 'enqueueBatch',
      ops: [
        { kind: 'k', target: '/a', payload: null },
        { kind: 'k', target: '/b', payload: 1 },
      ],
    },
    { type: 'get', opId: 'x' },
    { type: 'list', query: { status: 'failed', lane: 'l', limit: 5 } },
    { type: 'list' },
    { type: 'stats' },
    { type: 'retry', opId: 'x' },
    { type: 'retry', filter: { lane: 'l', user: 'u', ids: ['x', 'y'] } },
    { type: 'retry', filter: {} },
    { type: 'remove', opId: 'x' },
    { type: 'syncNow' },
    { type: 'syncNow', waitMs: 5000 },
    { type: 'status', user: 'alice', doneSince: 1 },
    { type: 'status', user: null },
    { type: 'kick', reason: 'online' },
    { type: 'kick', reason: 'visible' },
    { type: 'ping' },
    { type: 'history', query: {} },
    { type: 'history', query: { opId: 'x', fromLsn: 0, limit: 1000 } },
    { type: 'pauses' },
    { type: 'pauses', pause: { seconds: 10 } },
  ])('$type', (body) => {
    const parsed = parseRequest({ ...env, ...body });
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(parsed.request).toMatchObject({ ...env, type: body.type });
  });

  it('keeps only the known fields', () => {
    const parsed = parseRequest({ ...env, type: 'get', opId: 'x', evil: 'y', then: () => {} });
    expect(parsed).toEqual({ ok: true, request: { v: 1, id: 'r1', type: 'get', opId: 'x' } });
  });
});

describe('parseRequest refuses malformed and unknown messages', () => {
  it.each([
    ['a string', 'hello'],
    ['null', null],
    ['an array', [env]],
    ['no version', { id: 'r1', type: 'ping' }],
    ['another version', { v: 2, id: 'r1', type: 'ping' }],
    ['no id', { v: 1, type: 'ping' }],
    ['an empty id', { v: 1, id: '', type: 'ping' }],
    ['a numeric id', { v: 1, id: 7, type: 'ping' }],
    ['an unknown type', { ...env, type: 'explode' }],
    ['a type from Object.prototype', { ...env, type: 'constructor' }],
    ['__proto__ as type', { ...env, type: '__proto__' }],
    ['no type', { ...env }],
    ['enqueue without op', { ...env, type: 'enqueue' }],
    ['enqueue with a string op', { ...env, type: 'enqueue', op: '{"kind":"x"}' }],
    ['enqueue with an array op', { ...env, type: 'enqueue', op: [] }],
    ['enqueueBatch without ops', { ...env, type: 'enqueueBatch' }],
    [
      'enqueueBatch with one op instead of an array',
      { ...env, type: 'enqueueBatch', ops: { kind: 'k', target: '/a', payload: 1 } },
    ],
    ['enqueueBatch with no ops', { ...env, type: 'enqueueBatch', ops: [] }],
    [
      'enqueueBatch with too many ops',
      { ...env, type: 'enqueueBatch', ops: Array.from({ length: MAX_BATCH + 1 }, () => ({})) },
    ],
    ['get without opId', { ...env, type: 'get' }],
    ['retry with a numeric opId', { ...env, type: 'retry', opId: 3 }],
    ['retry with neither opId nor filter', { ...env, type: 'retry' }],
    ['retry with both an opId and a filter', { ...env, type: 'retry', opId: 'x', filter: {} }],
    ['retry with a string filter', { ...env, type: 'retry', filter: 'all' }],
    ['retry with an empty lane', { ...env, type: 'retry', filter: { lane: '' } }],
    ['retry with ids that are not an array of ids', { ...env, type: 'retry', filter: { ids: 'x' } }],
    ['retry with a numeric id', { ...env, type: 'retry', filter: { ids: ['x', 3] } }],
    ['remove with an empty opId', { ...env, type: 'remove', opId: '' }],
    ['list with a bad status', { ...env, type: 'list', query: { status: 'gone' } }],
    ['list with a bad limit', { ...env, type: 'list', query: { limit: 0 } }],
    ['list with a fractional limit', { ...env, type: 'list', query: { limit: 1.5 } }],
    ['list with a string query', { ...env, type: 'list', query: 'all' }],
    ['kick with a bad reason', { ...env, type: 'kick', reason: 'eval' }],
    ['kick without reason', { ...env, type: 'kick' }],
    ['status with a numeric user', { ...env, type: 'status', user: 7 }],
    ['syncNow with a negative waitMs', { ...env, type: 'syncNow', waitMs: -1 }],
    ['syncNow with a string waitMs', { ...env, type: 'syncNow', waitMs: '5' }],
    ['history without a query', { ...env, type: 'history', opId: 'x' }],
    ['history with a string query', { ...env, type: 'history', query: 'x' }],
    ['pauses with a numeric pause', { ...env, type: 'pauses', pause: 10 }],
    ['signOut with a string discard', { ...env, type: 'signOut', user: 'u', discard: 'yes' }],
    ['setCredentials with a negative epoch', { ...env, type: 'setCredentials', user: 'u', credentials: {}, epoch: -1 }],
  ])('%s', (_, data) => {
    const parsed = parseRequest(data);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toBeTruthy();
  });

  it('keeps enqueueBatch ops in order, holes as undefined, for the Outbox to judge one by one', () => {
    const ops: unknown[] = [{ kind: 'a' }, 'not an op'];
    ops[3] = { kind: 'b' };
    const parsed = parseRequest({ ...env, type: 'enqueueBatch', ops, extra: 1 });
    expect(parsed).toEqual({
      ok: true,
      request: { v: 1, id: 'r1', type: 'enqueueBatch', ops: [{ kind: 'a' }, 'not an op', undefined, { kind: 'b' }] },
    });
    if (parsed.ok && parsed.request.type === 'enqueueBatch') expect(2 in parsed.request.ops).toBe(true);
  });

  it('echoes a well-formed id so the reply can be matched', () => {
    expect(parseRequest({ ...env, type: 'nope' })).toMatchObject({ ok: false, id: 'r1' });
    expect(parseRequest({ v: 1, id: { x: 1 }, type: 'ping' })).toMatchObject({ ok: false, id: null });
  });
});
