/** The page client's logger: its failed requests at debug, a worker of another protocol version at warn, quiet by default. */
import type { LogEvent } from '@ferry/core';
import { FerryError } from '@ferry/core';
import { VirtualClock } from '@ferry/core/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createFerryClient } from './createFerryClient.ts';
import type { FerryClientOptions } from './types.ts';
import { channel, fakeWorker, macrotask } from './testSupport.ts';

function setup(logger: FerryClientOptions['logger']) {
  const worker = fakeWorker((msg) => ({ v: 1, id: msg.id, ok: false, error: { code: 'not-found', message: 'no' } }));
  const clock = new VirtualClock(7);
  const ch = channel();
  const container = { controller: worker } as unknown as ServiceWorkerContainer;
  const ferry = createFerryClient({
    platform: { serviceWorker: () => container, channel: () => ch, clock, timers: clock },
    forwardEvents: false,
    logger,
  });
  const broadcast = (data: unknown): void => void ch.dispatchEvent(new MessageEvent('message', { data }));
  return { ferry, broadcast };
}

describe('the client logger', () => {
  afterEach(() => vi.restoreAllMocks());

  it('logs each failed request at debug, with its type and error', async () => {
    const events: LogEvent[] = [];
    const { ferry } = setup({ level: 'debug', sink: (e) => void events.push(e) });
    await expect(ferry.get('x')).rejects.toBeInstanceOf(FerryError);
    expect(events).toEqual([
      {
        level: 'debug',
        event: 'client.request-failed',
        at: 7,
        reason: 'get',
        error: { code: 'not-found', message: 'no' },
      },
    ]);
    await ferry.close();
  });

  it('logs a broadcast of another protocol version once, at warn; other messages are not its business', async () => {
    const events: LogEvent[] = [];
    const { ferry, broadcast } = setup({ sink: (e) => void events.push(e) });
    ferry.subscribe(() => {});
    broadcast({ type: 'something else' });
    broadcast(null);
    expect(events).toEqual([]);
    broadcast({ v: 2, type: 'change', change: {} });
    broadcast({ v: 2, type: 'change', change: {} });
    await macrotask();
    expect(events.map((e) => [e.event, e.level])).toEqual([['client.version-mismatch', 'warn']]);
    await ferry.close();
  });

  it('is quiet by default: a failed request writes nothing to the console', async () => {
    const spies = (['debug', 'info', 'log', 'warn', 'error'] as const).map((m) =>
      vi.spyOn(console, m).mockImplementation(() => {}),
    );
    const { ferry } = setup(undefined);
    await expect(ferry.get('x')).rejects.toBeInstanceOf(FerryError);
    expect(spies.flatMap((s) => s.mock.calls)).toEqual([]);
    await ferry.close();
  });

  it('refuses a bad logger with invalid-config', () => {
    expect(() => setup({ level: 'loud' as never })).toThrow(
      expect.objectContaining({ code: 'invalid-config', message: expect.stringContaining('logger must be') }),
    );
  });
});
