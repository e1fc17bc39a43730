import { FerryError } from '@ferry/core';
import { ScriptedTransport } from '@ferry/core/testing';
import { describe, expect, it } from 'vitest';
import { createFerryHost } from './FerryHost.ts';
import { DEFAULT_DURABILITY, resolveOptions } from './engine/resolveOptions.ts';
import type { FerryHostOptions } from './options.ts';
import { testPlatform } from './testing/index.ts';
import { credentials } from './credentials/index.ts';
import { batch } from './http/batch.ts';

/** The message of the `invalid-config` FerryError that creating a host with `options` throws. */
function refusal(options: unknown): string {
  try {
    createFerryHost({ platform: testPlatform(), ...(options as FerryHostOptions) });
  } catch (err) {
    expect(err).toBeInstanceOf(FerryError);
    expect((err as FerryError).code).toBe('invalid-config');
    return (err as FerryError).message;
  }
  throw new Error('created a host');
}

describe('host options', () => {
  it('accepts every group with valid values, and opens nothing while it checks them', () => {
    const host = createFerryHost({
      name: 'app',
      allowedOrigins: ['https://api.example'],
      logger: { level: 'debug', sink: () => {} },
      transport: { timeoutMs: 5000, batch: batch({ target: '/api/batch' }) },
      retry: { maxAttempts: 3 },
      delivery: { concurrency: 2, batchLimit: 10, batchSize: 5, leaseMs: 6000, offlineRecheckMs: 1000 },
      storage: { store: () => Promise.reject(new Error('not opened yet')), durability: 'relaxed', retentionMs: 1 },
      credentials: credentials({ persist: true }),
      platform: testPlatform(),
    });
    expect(host.names.syncTag).toBe('ferry-app');
  });

  it.each([
    [{ delivery: { concurrency: 0 } }, 'delivery.concurrency must be a positive integer'],
    [{ delivery: { batchLimit: 1.5 } }, 'delivery.batchLimit must be a positive integer'],
    [{ delivery: { leaseMs: -1 } }, 'delivery.leaseMs must be a positive number'],
    [{ delivery: { offlineRecheckMs: Infinity } }, 'delivery.offlineRecheckMs must be a positive number'],
    [{ storage: { retentionMs: '7d' } }, 'storage.retentionMs must be a positive number'],
    [{ storage: { maxPayloadBytes: 0 } }, 'storage.maxPayloadBytes must be a positive integer'],
    [{ storage: { durability: 'fast' } }, 'storage.durability must be'],
    [{ storage: { store: {} } }, 'storage.store must be a function'],
    [{ credentials: { persist: true } }, "credentials must be credentials() from '@ferry/sw/credentials'"],
    [{ platform: { isOnline: true } }, 'platform.isOnline must be a function'],
    [{ platform: { clock: {} } }, 'platform.clock.now must be a function'],
    [{ platform: { online: true } }, 'platform.online is not an option'],
    [{ delivery: 6 }, 'delivery must be an object'],
    [{ retry: { maxAttempts: 0 } }, 'retry is not valid: maxAttempts'],
    [{ retry: { attempts: 3 } }, 'retry.attempts is not an option'],
    [{ colour: 'blue' }, 'colour is not an option'],
    [{ constructor: 1 }, 'constructor is not an option'],
    [{ delivery: { toString: 1 } }, 'delivery.toString is not an option'],
    [{ logger: { level: 'verbose' } }, "logger.level must be 'debug', 'info', 'warn', 'error' or 'silent'"],
    [{ logger: { sink: console } }, 'logger.sink must be a function'],
    [{ logger: { onError: () => {} } }, 'logger.onError is not an option'],
    [{ onError: () => {} }, 'onError is now logger: { sink }'],
  ])('refuses %j with invalid-config naming the option', (options, message) => {
    expect(refusal(options)).toContain(message);
  });

  it('an option set to undefined takes its default, as an option left out does', () => {
    const settings = resolveOptions({
      logger: undefined,
      delivery: { leaseMs: undefined, concurrency: undefined },
      storage: { durability: undefined, retentionMs: undefined },
      retry: { maxAttempts: undefined },
      platform: { ...testPlatform(), random: undefined },
    });
    expect(settings.storage).toStrictEqual({ durability: DEFAULT_DURABILITY, retentionMs: 7 * 24 * 60 * 60 * 1000 });
    expect(settings.delivery).toStrictEqual({ leaseMs: 60_000 });
    expect(settings.credentials).toBeUndefined();
    expect(settings.retry).toStrictEqual({});
    expect(resolveOptions({ platform: testPlatform() }).retry).toBeUndefined();
    expect(typeof settings.platform.random).toBe('function');
    expect(settings.logger).toStrictEqual({});
    expect(refusal({ storage: { durability: 'fast' } })).toBe(
      "storage.durability must be 'strict', 'relaxed' or 'default'",
    );
  });

  it('names the group each flat option moved to', () => {
    expect(refusal({ leaseMs: 1000 })).toBe('leaseMs is now delivery.leaseMs');
    expect(refusal({ store: async () => undefined })).toBe('store is now storage.store');
    expect(refusal({ persistCredentials: true })).toBe(
      "persistCredentials is now credentials({ persist }) from '@ferry/sw/credentials'",
    );
    expect(refusal({ isOnline: () => true })).toBe('isOnline is now platform.isOnline');
  });

  it('refuses transport options the host supplies itself, naming where they are set', () => {
    expect(refusal({ transport: { clock: { now: () => 0 } } })).toBe(
      'transport.clock is set by the host: use platform.clock',
    );
    expect(refusal({ transport: { maxRetryAfterMs: 1 } })).toBe(
      'transport.maxRetryAfterMs is set by the host: use retry.maxRetryAfterMs',
    );
    expect(refusal({ transport: { batchTarget: '/api/batch' } })).toBe(
      "transport.batchTarget is now transport.batch: batch({ target }) from '@ferry/sw/batch'",
    );
  });

  it('a lease must outlast the whole send: delivery.leaseMs above transport.timeoutMs', () => {
    expect(refusal({ delivery: { leaseMs: 15_000 } })).toBe(
      'delivery.leaseMs (15000) must be longer than transport.timeoutMs (15000)',
    );
    expect(refusal({ delivery: { leaseMs: 500 }, transport: { timeoutMs: 1000 } })).toContain('delivery.leaseMs');
    // A custom transport has no timeout of the host's to outlast.
    expect(() =>
      createFerryHost({ delivery: { leaseMs: 500 }, transport: new ScriptedTransport(), platform: testPlatform() }),
    ).not.toThrow();
  });

  it('a batch size above 1 needs a transport that batches', () => {
    expect(refusal({ delivery: { batchSize: 2 } })).toContain('delivery.batchSize above 1 needs a transport');
    expect(refusal({ delivery: { batchSize: 2 }, transport: { send: async () => ({ ok: true }) } })).toContain(
      'delivery.batchSize',
    );
    expect(() =>
      createFerryHost({
        delivery: { batchSize: 2 },
        transport: { batch: batch({ target: '/api/batch' }) },
        platform: testPlatform(),
      }),
    ).not.toThrow();
  });

  it('credentials() checks its own options, naming them', () => {
    const thrown = (options: unknown): string => {
      try {
        credentials(options as never);
      } catch (err) {
        expect((err as FerryError).code).toBe('invalid-config');
        return (err as FerryError).message;
      }
      throw new Error('made the feature');
    };
    expect(thrown({ persist: 'yes' })).toBe('credentials.persist must be true or false');
    expect(thrown({ keep: true })).toBe('credentials.keep is not an option');
    expect(thrown(null)).toBe('credentials() takes an object');
    expect(() => credentials({ persist: undefined })).not.toThrow();
  });
});
