import { describe, expect, it, vi } from 'vitest';
import { VirtualClock } from '../testing/VirtualClock.ts';
import type { LogEvent, LogLevel } from './Logger.ts';
import { createLogger } from './Logger.ts';
import type { LogEventName } from './events.ts';
import { HOST_EVENTS, LOG_EVENTS } from './events.ts';

describe('Logger', () => {
  it.each([
    ['debug', ['op.retry', 'op.hold', 'op.fail', 'host.error']],
    ['info', ['op.hold', 'op.fail', 'host.error']],
    ['warn', ['op.fail', 'host.error']],
    ['error', ['host.error']],
    ['silent', []],
  ] as const)('at %s, logs the events of that level and above', (level, logged) => {
    const seen: LogEvent[] = [];
    const log = createLogger({ level, sink: (e) => void seen.push(e) }, HOST_EVENTS, new VirtualClock(5));
    for (const name of ['op.retry', 'op.hold', 'op.fail', 'host.error'] as const)
      if (log.wants(name)) log.emit(name, { opId: 'x' });
    expect(seen.map((e) => e.event)).toEqual(logged);
    for (const e of seen) expect(e).toMatchObject({ at: 5, opId: 'x', level: LOG_EVENTS[e.event] });
  });

  it("defaults to 'warn' and the console, with a [ferry] prefix and the event's level as the method", () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const log = createLogger({}, HOST_EVENTS);
    expect([log.wants('op.retry'), log.wants('op.hold'), log.wants('op.fail'), log.wants('host.error')]).toEqual([
      false,
      false,
      true,
      true,
    ]);
    log.emit('storage.quota', { error: { code: 'quota-exceeded', message: 'full' } });
    log.emit('host.error', { reason: 'boom' });
    expect(warn.mock.calls).toEqual([
      ['[ferry] storage.quota', expect.objectContaining({ error: { code: 'quota-exceeded', message: 'full' } })],
    ]);
    expect(error.mock.calls).toEqual([['[ferry] host.error', expect.objectContaining({ reason: 'boom' })]]);
    vi.restoreAllMocks();
  });

  it('every event has one of the four levels', () => {
    const levels: LogLevel[] = ['debug', 'info', 'warn', 'error'];
    for (const name of Object.keys(LOG_EVENTS) as LogEventName[]) expect(levels).toContain(LOG_EVENTS[name]);
  });
});
