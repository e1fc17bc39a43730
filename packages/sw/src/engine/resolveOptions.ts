import type { FerryNames, LoggerOptions, OutboxStore, RetryPolicyOptions, Transport } from '@ferry/core';
import {
  FerryError,
  RETRY_DEFAULTS,
  RetryPolicy,
  ferryNames,
  systemClock,
  systemRandom,
  systemTimers,
} from '@ferry/core';
import type { DevtoolsHost, FerryHostOptions, HostTransportOptions, PlatformOptions } from '../options.ts';
import type { AllowedOriginEntry, Origins } from '../credentials/origins.ts';
import { normalizeOrigins } from '../credentials/origins.ts';
import { defaultSync } from '../platform.ts';
import type { CredentialsFeature } from '../credentials/feature.ts';
import type { SendTracer } from '../http/tracing.ts';

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
  logger: LoggerOptions;
  tracer: SendTracer | undefined;
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
    historyRetentionMs?: number;
    maxPayloadBytes?: number;
  };
  /** The credentials feature, when the app built the host with it. */
  credentials: CredentialsFeature | undefined;
  platform: Required<PlatformOptions>;
  devtools: DevtoolsHost | undefined;
}

/**
 * What each option of each group must be, when set: `int` a positive integer, `num` a positive number, `fn` a
 * function, `bool` true or false, a list one of its values, `any` checked where it is used. A key a group does
 * not list is refused.
 */
type Rule = 'int' | 'num' | 'fn' | 'bool' | 'any' | readonly string[];
const RULES: Readonly<Record<string, Readonly<Record<string, Rule>>>> = {
  '': {
    name: 'any',
    allowedOrigins: 'any',
    logger: 'any',
    tracer: 'fn',
    transport: 'any',
    retry: 'any',
    delivery: 'any',
    storage: 'any',
    credentials: 'any',
    platform: 'any',
    devtools: 'any',
  },
  delivery: { concurrency: 'int', batchLimit: 'int', batchSize: 'int', leaseMs: 'num', offlineRecheckMs: 'num' },
  storage: {
    store: 'fn',
    durability: ['strict', 'relaxed', 'default'],
    retentionMs: 'num',
    historyRetentionMs: 'num',
    maxPayloadBytes: 'int',
  },
  platform: {
    origin: 'fn',
    isOnline: 'fn',
    locks: 'fn',
    channel: 'fn',
    backgroundSync: 'fn',
    clock: 'any',
    timers: 'any',
    random: 'fn',
  },
  logger: { level: ['debug', 'info', 'warn', 'error', 'silent'], sink: 'fn' },
  retry: Object.fromEntries(Object.keys(RETRY_DEFAULTS).map((k) => [k, 'any'])),
};
const MUST: Readonly<Record<string, [(v: unknown) => boolean, string]>> = {
  int: [(v) => Number.isInteger(v) && (v as number) > 0, 'a positive integer'],
  num: [(v) => Number.isFinite(v) && (v as number) > 0, 'a positive number'],
  fn: [(v) => typeof v === 'function', 'a function'],
  bool: [(v) => typeof v === 'boolean', 'true or false'],
};
/** The flat options that came before the groups, and the group each lives in now. */
const MOVED: Readonly<Record<string, string>> = {
  persistCredentials: "credentials({ persist }) from '@ferry/sw/credentials'",
  onError: 'logger: { sink } (events instead of errors, see LOG_EVENTS)',
  ...Object.fromEntries(
    ['delivery', 'storage', 'platform'].flatMap((g) => Object.keys(RULES[g]!).map((k) => [k, `${g}.${k}`])),
  ),
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
  const delivery = group('delivery', top.delivery) as HostSettings['delivery'];
  const storage = group('storage', top.storage) as Partial<HostSettings['storage']>;
  const credentials = top.credentials;
  if (credentials !== undefined && typeof (credentials as Partial<CredentialsFeature>)?.attach !== 'function')
    throw bad('credentials', "must be credentials() from '@ferry/sw/credentials'");
  const platform = group('platform', top.platform) as PlatformOptions;
  const retry = group('retry', top.retry) as Partial<RetryPolicyOptions>;
  const logger = group('logger', top.logger) as LoggerOptions;
  try {
    new RetryPolicy(retry);
  } catch (err) {
    throw bad('retry', `is not valid: ${err instanceof Error ? err.message : String(err)}`);
  }
  const t = top.transport;
  if (t !== undefined && (typeof t !== 'object' || t === null)) throw bad('transport', 'must be an object');
  const custom = t !== undefined && 'send' in t;
  const tracer = top.tracer;
  if (tracer && custom) throw bad('tracer', 'needs the HTTP transport');
  if (!custom && t) {
    for (const key of Object.keys(t))
      if (Object.hasOwn(HOST_SUPPLIED, key))
        throw bad(`transport.${key}`, `is set by the host: use ${HOST_SUPPLIED[key]}`);
    if ('batchTarget' in t)
      throw bad('transport.batchTarget', "is now transport.batch: batch({ target }) from '@ferry/sw/batch'");
  }
  const leaseMs = delivery.leaseMs ?? DEFAULT_LEASE_MS;
  const timeoutMs = custom ? undefined : ((t as HostTransportOptions | undefined)?.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  // A lease must outlast the send it covers (hooks included), or a slow answer would be sent twice.
  if (timeoutMs !== undefined && !(leaseMs > timeoutMs))
    throw bad('delivery.leaseMs', `(${leaseMs}) must be longer than transport.timeoutMs (${timeoutMs})`);
  const batches = custom ? (t as Transport).sendBatch !== undefined : (t as HostTransportOptions)?.batch;
  if ((delivery.batchSize ?? 1) > 1 && !batches)
    throw bad(
      'delivery.batchSize',
      "above 1 needs a transport that batches (transport.batch: batch() from '@ferry/sw/batch')",
    );
  const fns: [string, ...string[]][] = [
    ['clock', 'now'],
    ['timers', 'setTimeout', 'clearTimeout'],
  ];
  for (const [key, ...names] of fns) {
    const part = platform[key as 'clock'] as Record<string, unknown> | undefined;
    if (part !== undefined) for (const n of names) check(`platform.${key}.${n}`, 'fn', part?.[n]);
  }
  return {
    names: ferryNames(top.name),
    origins: normalizeOrigins(top.allowedOrigins),
    allowedOrigins: top.allowedOrigins ?? [],
    logger,
    tracer,
    transport: t,
    retry: top.retry && retry,
    delivery: { ...delivery, leaseMs },
    storage: { durability: DEFAULT_DURABILITY, retentionMs: DEFAULT_RETENTION_MS, ...storage },
    credentials,
    platform: {
      origin: () => location.origin,
      isOnline: () => navigator.onLine,
      locks: () => navigator.locks,
      channel: () => new BroadcastChannel(ferryNames(top.name).channel),
      backgroundSync: defaultSync,
      clock: systemClock,
      timers: systemTimers,
      random: systemRandom,
      ...platform,
    },
    devtools: top.devtools,
  };
}

/**
 * A group of options, checked against its rules: its keys (naming where a flat option moved, at the top) and
 * the value of each. Returns a copy without the keys set to `undefined`, so that defaults spread under it hold.
 */
function group(path: string, value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw bad(path || 'the host options', 'must be an object');
  const rules = RULES[path]!;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const full = path ? `${path}.${key}` : key;
    // Own keys only: `toString` or `constructor` is not an option, whatever Object.prototype holds.
    if (!Object.hasOwn(rules, key)) {
      throw bad(full, !path && Object.hasOwn(MOVED, key) ? `is now ${MOVED[key]}` : 'is not an option');
    }
    if (v !== undefined) out[key] = check(full, rules[key]!, v);
  }
  return out;
}

/** A value that meets its rule, or the `invalid-config` error naming its path. */
function check(path: string, rule: Rule, value: unknown): unknown {
  if (rule === 'any') return value;
  const [ok, what] =
    typeof rule === 'string'
      ? MUST[rule]!
      : [(v: unknown) => rule.includes(v as string), `'${rule.join("', '").replace(/', '(?!.*', ')/, "' or '")}'`];
  if (!ok(value)) throw bad(path, `must be ${what}`);
  return value;
}
