import type { FerryNames, OutboxStore, RetryPolicyOptions, Transport } from '@ferry/core';
import {
  FerryError,
  RETRY_DEFAULTS,
  RetryPolicy,
  ferryNames,
  systemClock,
  systemRandom,
  systemTimers,
} from '@ferry/core';
import type { FerryHostOptions, HostTransportOptions, PlatformOptions } from '../options.ts';
import type { AllowedOriginEntry, Origins } from '../credentials/origins.ts';
import { normalizeOrigins } from '../credentials/origins.ts';
import { defaultSync } from '../platform.ts';

/** The HTTP transport's send timeout when the app sets none. */
export const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_LEASE_MS = 60_000;
const DEFAULT_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;
/**
 * Durability of the default store's writes, chosen from measured kill rounds
 * (tools/idbKillProbe.ts: a plain page killed and relaunched three times a
 * round): Chromium lost acknowledged records, usually the whole database, in
 * 9 of 261 rounds with `relaxed` and in 1 of 194 with `strict`. `strict`
 * costs a flush per commit; the README gives the enqueue figures.
 */
export const DEFAULT_DURABILITY: IDBTransactionDurability = 'strict';

/** The host's options checked once, with every default filled in. */
export interface HostSettings {
  names: FerryNames;
  origins: Origins;
  /** As given, for the HTTP transport. */
  allowedOrigins: readonly AllowedOriginEntry[];
  onError: (err: unknown) => void;
  transport: HostTransportOptions | Transport | undefined;
  retry: Partial<RetryPolicyOptions> | undefined;
  delivery: {
    concurrency?: number;
    batchLimit?: number;
    batchSize?: number;
    leaseMs: number;
    offlineRecheckMs?: number;
  };
  storage: {
    store?: () => Promise<OutboxStore>;
    durability: IDBTransactionDurability;
    retentionMs: number;
    maxPayloadBytes?: number;
  };
  persistCredentials: boolean;
  platform: Required<PlatformOptions>;
}

/** The keys of each group, and where the keys of the flat options that came before them live now. */
const KEYS = {
  '': ['name', 'allowedOrigins', 'onError', 'transport', 'retry', 'delivery', 'storage', 'credentials', 'platform'],
  delivery: ['concurrency', 'batchLimit', 'batchSize', 'leaseMs', 'offlineRecheckMs'],
  storage: ['store', 'durability', 'retentionMs', 'maxPayloadBytes'],
  credentials: ['persist'],
  platform: ['origin', 'isOnline', 'locks', 'channel', 'backgroundSync', 'clock', 'timers', 'random'],
  retry: Object.keys(RETRY_DEFAULTS),
} as const;
const MOVED: Readonly<Record<string, string>> = {
  persistCredentials: 'credentials.persist',
  ...Object.fromEntries(KEYS.delivery.map((k) => [k, `delivery.${k}`])),
  ...Object.fromEntries(KEYS.storage.map((k) => [k, `storage.${k}`])),
  ...Object.fromEntries(KEYS.platform.map((k) => [k, `platform.${k}`])),
};
/** Transport options the host supplies itself, and where the app sets them. */
const HOST_SUPPLIED: Readonly<Record<string, string>> = {
  origin: 'platform.origin',
  allowedOrigins: 'allowedOrigins',
  credentials: 'credentials',
  clock: 'platform.clock',
  timers: 'platform.timers',
  retry: 'retry',
  maxRetryAfterMs: 'retry.maxRetryAfterMs',
};

const bad = (path: string, must: string): FerryError => new FerryError('invalid-config', `${path} ${must}`);

/**
 * Checks the host's options and fills in their defaults. Throws
 * `invalid-config` naming the option's full path (`delivery.concurrency`)
 * for a value out of range, an unknown key, or a key of the flat options
 * that now lives in a group (naming where).
 */
export function resolveOptions(o: FerryHostOptions): HostSettings {
  const top = group('', o) as FerryHostOptions;
  const delivery = group('delivery', top.delivery);
  const storage = group('storage', top.storage);
  const credentials = group('credentials', top.credentials);
  const platform = group('platform', top.platform) as PlatformOptions;
  const retry = group('retry', top.retry) as Partial<RetryPolicyOptions>;
  try {
    new RetryPolicy(retry);
  } catch (err) {
    throw bad('retry', `is not valid: ${err instanceof Error ? err.message : String(err)}`);
  }
  const t = top.transport;
  if (t !== undefined && (typeof t !== 'object' || t === null)) throw bad('transport', 'must be an object');
  const custom = t !== undefined && 'send' in t;
  if (!custom && t) {
    for (const key of Object.keys(t))
      if (key in HOST_SUPPLIED) throw bad(`transport.${key}`, `is set by the host: use ${HOST_SUPPLIED[key]}`);
  }
  const leaseMs = positive('delivery.leaseMs', delivery['leaseMs'], false) ?? DEFAULT_LEASE_MS;
  const timeoutMs = custom ? undefined : ((t as HostTransportOptions | undefined)?.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  // A lease must outlast the send it covers (hooks included), or a slow answer would be sent twice.
  if (timeoutMs !== undefined && !(leaseMs > timeoutMs))
    throw bad('delivery.leaseMs', `(${leaseMs}) must be longer than transport.timeoutMs (${timeoutMs})`);
  const batchSize = positive('delivery.batchSize', delivery['batchSize'], true);
  const batches = custom ? (t as Transport).sendBatch !== undefined : (t as HostTransportOptions)?.batchTarget;
  if (batchSize !== undefined && batchSize > 1 && !batches)
    throw bad('delivery.batchSize', 'above 1 needs a transport that batches (transport.batchTarget)');
  const durability = storage['durability'] ?? DEFAULT_DURABILITY;
  if (!['strict', 'relaxed', 'default'].includes(durability as string))
    throw bad('storage.durability', "must be 'strict', 'relaxed' or 'default'");
  fn('onError', top.onError);
  fn('storage.store', storage['store']);
  for (const key of ['origin', 'isOnline', 'locks', 'channel', 'backgroundSync', 'random'] as const)
    fn(`platform.${key}`, platform[key]);
  if (platform.clock !== undefined) fn('platform.clock.now', platform.clock?.now, true);
  if (platform.timers !== undefined) {
    fn('platform.timers.setTimeout', platform.timers?.setTimeout, true);
    fn('platform.timers.clearTimeout', platform.timers?.clearTimeout, true);
  }
  const persist = credentials['persist'] ?? false;
  if (typeof persist !== 'boolean') throw bad('credentials.persist', 'must be true or false');
  return {
    names: ferryNames(top.name),
    origins: normalizeOrigins(top.allowedOrigins),
    allowedOrigins: top.allowedOrigins ?? [],
    onError: top.onError ?? ((err) => console.warn('ferry:', err)),
    transport: t,
    retry: top.retry,
    delivery: {
      ...optional('concurrency', positive('delivery.concurrency', delivery['concurrency'], true)),
      ...optional('batchLimit', positive('delivery.batchLimit', delivery['batchLimit'], true)),
      ...optional('batchSize', batchSize),
      leaseMs,
      ...optional('offlineRecheckMs', positive('delivery.offlineRecheckMs', delivery['offlineRecheckMs'], false)),
    },
    storage: {
      ...optional('store', storage['store'] as (() => Promise<OutboxStore>) | undefined),
      durability: durability as IDBTransactionDurability,
      retentionMs: positive('storage.retentionMs', storage['retentionMs'], false) ?? DEFAULT_RETENTION_MS,
      ...optional('maxPayloadBytes', positive('storage.maxPayloadBytes', storage['maxPayloadBytes'], true)),
    },
    persistCredentials: persist as boolean,
    platform: {
      origin: platform.origin ?? (() => location.origin),
      isOnline: platform.isOnline ?? (() => navigator.onLine),
      locks: platform.locks ?? (() => navigator.locks),
      channel: platform.channel ?? (() => new BroadcastChannel(ferryNames(top.name).channel)),
      backgroundSync: platform.backgroundSync ?? defaultSync,
      clock: platform.clock ?? systemClock,
      timers: platform.timers ?? systemTimers,
      random: platform.random ?? systemRandom,
    },
  };
}

/** A group of options as a record, checked for keys it does not have (and keys that moved, at the top). */
function group(path: keyof typeof KEYS, value: unknown): Record<string, unknown> {
  const where = path || 'the host options';
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad(where, 'must be an object');
  const known: readonly string[] = KEYS[path];
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const full = path ? `${path}.${key}` : key;
    const moved = path === '' ? MOVED[key] : undefined;
    throw moved ? bad(full, `is now ${moved}`) : bad(full, 'is not an option');
  }
  return value as Record<string, unknown>;
}

/** A positive number (an integer when `integer`), or undefined when not set. */
function positive(path: string, value: unknown, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const ok = typeof value === 'number' && value > 0 && (integer ? Number.isInteger(value) : Number.isFinite(value));
  if (!ok) throw bad(path, `must be a positive ${integer ? 'integer' : 'number'}`);
  return value;
}

function fn(path: string, value: unknown, required = false): void {
  if ((value !== undefined || required) && typeof value !== 'function') throw bad(path, 'must be a function');
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
