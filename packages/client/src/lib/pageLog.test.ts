/** The client's `logger` option read once: its validation (moved here from core's Logger tests) and its level check. */
import type { LogEvent } from '@ferry/core';
import { FerryError } from '@ferry/core';
import { VirtualClock } from '@ferry/core/testing';
import { describe, expect, it } from 'vitest';
import { pageLog } from './pageLog.ts';

describe('pageLog', () => {
  it.each([
    [5],
    [{ level: 'verbose' }],
    [{ level: 2 }],
    [{ level: 'toString' }],
    [{ sink: console }],
    [{ onError: () => {} }],
  ])('refuses %j with invalid-config', (value) => {
    let caught: unknown;
    try {
      pageLog(value, new VirtualClock(0));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(FerryError);
    expect((caught as FerryError).code).toBe('invalid-config');
    expect((caught as FerryError).message).toBe(
      "logger must be { level?: 'debug' | 'info' | 'warn' | 'error' | 'silent', sink?: function }",
    );
  });

  it.each([
    [undefined, ['client.version-mismatch']],
    ['debug', ['client.request-failed', 'client.version-mismatch']],
    ['info', ['client.version-mismatch']],
    ['warn', ['client.version-mismatch']],
    ['error', []],
    ['silent', []],
  ] as const)('at %s, builds a logger for the events of that level and above only', (level, logged) => {
    const seen: LogEvent[] = [];
    const log = pageLog({ level, sink: (e: LogEvent) => void seen.push(e) }, new VirtualClock(3));
    expect(Object.keys(log).filter((k) => log[k as keyof typeof log])).toEqual(
      logged.map((e) => (e === 'client.request-failed' ? 'failed' : 'foreign')),
    );
    log.failed?.(new FerryError('not-found', 'no'), 'get');
    log.foreign?.();
    expect(seen.map((e) => [e.event, e.level, e.at])).toEqual(
      logged.map((e) => [e, e === 'client.request-failed' ? 'debug' : 'warn', 3]),
    );
  });

  it('ignores a sink that throws', () => {
    const log = pageLog(
      {
        level: 'debug',
        sink: () => {
          throw new Error('sink bug');
        },
      },
      new VirtualClock(0),
    );
    expect(() => log.failed?.(new FerryError('not-found', 'no'), 'get')).not.toThrow();
  });
});
