import { FerryError } from './FerryError.ts';

/** The names one Ferry app uses on its origin: see {@link ferryNames}. */
export interface FerryNames {
  /** The `name` option it was derived from; undefined for the default app. */
  name: string | undefined;
  database: string;
  lock: string;
  channel: string;
  syncTag: string;
}

const APP_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * The database, Web Lock, BroadcastChannel and sync tag of the app named
 * `name` (the `name` option of host and client, the same on both). Without a
 * name, today's: `ferry`, `ferry-runner`, `ferry`, `ferry`, so queues stored
 * before names existed keep working. With one, each is `ferry-<name>`
 * (the lock `ferry-<name>-runner`): two apps on one origin never share a
 * queue, a runner or a credential. A name is 1 to 64 letters, digits, `.`,
 * `_` or `-`, starting with a letter or digit; anything else is a
 * `invalid-config` FerryError.
 */
export function ferryNames(name?: string): FerryNames {
  const base = ferryChannel(name);
  return { name, database: base, lock: `${base}-runner`, channel: base, syncTag: base };
}

/**
 * The BroadcastChannel of the app named `name`, which is also the base of its other names (see
 * {@link ferryNames}): what a page client needs of them. `invalid-config` for a name that breaks the rule.
 */
export function ferryChannel(name?: string): string {
  if (name !== undefined && (typeof name !== 'string' || !APP_NAME.test(name))) {
    throw new FerryError('invalid-config', `name must match ${String(APP_NAME)}; got ${JSON.stringify(name)}`);
  }
  return name === undefined ? 'ferry' : `ferry-${name}`;
}
