import { describe, expect, it, vi } from 'vitest';
import { FerryError } from '../FerryError.ts';
import { VirtualClock } from '../testing/VirtualClock.ts';
import type { LogEvent, LogLevel } from './Logger.ts';
import { Logger, checkLogger } from './Logger.ts';
import type { LogEventName } from './events.ts';
import { LOG_EVENTS } from './events.ts';

describe('Logger', () => {
  it.each([
    ['debug', ['op.retry', 'op.hold', 'op.fail', 'host.error']],
    ['info', ['op.hold', 'op.fail', 'host.error']],
    ['warn', ['op.fail', 'host.error']],
    ['error', ['host.error']],
    ['silent', []],
  ] as const)('at %s, logs the events of that level and above', (level, logged) => {
    const seen: LogEvent[] = [];
    const log = new Logger({ level, sink: (e) => void seen.push(e) }, new VirtualClock(5));
    for (const name of ['op.retry', 'op.hold', 'op.fail', 'host.error'] as const)
      if (log.wants(name)) log.emit(name, { opId: 'x' });
    expect(seen.map((e) => e.event)).toEqual(logged);
    for (const e of seen) expect(e).toMatchObject({ at: 5, opId: 'x', level: LOG_EVENTS[e.event] });
  });

  it("defaults to 'warn' and the console, with a [ferry] prefix and the event's level as the method", () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const log = new Logger();
    expect(log.wants('op.retry')).toBe(false);
    log.error('storage.quota', new FerryError('quota-exceeded', 'full'));
    log.error('host.error', new TypeError('boom'));
    log.error('op.retry', new Error('not logged'));
    expect(warn.mock.calls).toEqual([
      ['[ferry] storage.quota', expect.objectContaining({ error: { code: 'quota-exceeded', message: 'full' } })],
    ]);
    expect(error.mock.calls).toEqual([
      ['[ferry] host.error', expect.objectContaining({ error: { code: 'internal', message: 'TypeError: boom' } })],
    ]);
    vi.restoreAllMocks();
  });

  it('every event has one of the four levels', () => {
    const levels: LogLevel[] = ['debug', 'info', 'warn', 'error'];
    for (const name of Object.keys(LOG_EVENTS) as LogEventName[]) expect(levels).toContain(LOG_EVENTS[name]);
  });
});

describe('checkLogger', () => {
  it.each([
    [5, 'logger must be an object'],
    [{ level: 'verbose' }, "logger.level must be 'debug', 'info', 'warn', 'error' or 'silent'"],
    [{ level: 2 }, 'logger.level must be'],
    [{ level: 'toString' }, 'logger.level must be'],
    [{ sink: console }, 'logger.sink must be a function'],
    [{ onError: () => {} }, 'logger.onError is not an option'],
  ])('refuses %j with invalid-config', (value, message) => {
    let caught: unknown;
    try {
      checkLogger(value);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(FerryError);
    expect((caught as FerryError).code).toBe('invalid-config');
    expect((caught as FerryError).message).toContain(message);
  });

  it('takes undefined and a valid logger', () => {
    expect(checkLogger(undefined)).toEqual({});
    const sink = (): void => {};
    expect(checkLogger({ level: 'debug', sink })).toEqual({ level: 'debug', sink });
  });
});
