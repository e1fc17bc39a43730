import type { Clock, SendResult, Timers } from '@ferry/core';
import type { AuthParts } from '../http/auth.ts';
import type { Deadline } from '../http/deadline.ts';
import type { Exchange } from '../http/request.ts';
import { asUser, waitingFor } from './asUser.ts';
import { FerryError } from '@ferry/core';
import { checkUserId } from '@ferry/core/internal';
import type { CredentialsInput, CredentialsNeededMessage } from '@ferry/core/protocol';

/** One user's credentials for one origin, as the worker keeps them (in memory). */
export interface CredentialEntry {
  user: string;
  origin: string;
  headers: Readonly<Record<string, string>>;
  expiresAt?: number;
  /** Given after the last ones were refused (a 401): if these are refused too, that costs an attempt. */
  afterRefusal: boolean;
}

/** What the HTTP transport asks of the credentials the pages handed over. */
export interface CredentialSource {
  /** `user`'s usable credentials for `origin`, or undefined (then the pages are asked for some). */
  get(user: string, origin: string): CredentialEntry | undefined;
  /** `entry` was refused (a 401): drop it, and ask the pages for new ones. */
  refuse(entry: CredentialEntry): void;
  /** `entry` worked: a later refusal of it is a first one again. */
  accepted(entry: CredentialEntry): void;
  /** Resolves with new credentials for `user` on `origin` once a page gives some, or undefined after `ms` or on `signal`. */
  waitFor(user: string, origin: string, signal: AbortSignal, ms: number): Promise<CredentialEntry | undefined>;
  /** One exchange of an op of `user` with their credentials (see {@link asUser}). */
  exchange(p: AuthParts, user: string, ex: Exchange, d: Deadline): Promise<Response | SendResult>;
  /** Why ops of `user` to `origin` wait: they have no usable credentials there (the pages are asked); else undefined. */
  holds(user: string, origin: string): string | undefined;
}

/** Header names a page may not set through credentials: Ferry's own, and those `fetch` forbids anyway. */
const RESERVED = new Set(['idempotency-key', 'ferry-user', 'content-type', 'content-length', 'host', 'cookie']);
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** How often the pages are asked again for the same user and origin while none come. */
const ASK_AGAIN_MS = 30_000;

/**
 * Checks what a page passed to `setCredentials`: a header record (string
 * names that are HTTP tokens, string values without CR, LF or NUL, not
 * Ferry's own headers), an optional finite `expiresAt`, and an `origin` that
 * is the app's own or allow-listed. Throws `invalid-argument` otherwise.
 */
export function checkCredentials(
  user: unknown,
  raw: unknown,
  own: string,
  allowed: readonly string[],
): Omit<CredentialEntry, 'afterRefusal'> {
  const id = checkUserId(user, 'user', 'invalid-argument');
  const bad = (why: string): never => {
    throw new FerryError('invalid-argument', `credentials for ${JSON.stringify(id)}: ${why}`);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return bad('must be an object { headers, expiresAt?, origin? }');
  const input = raw as Partial<Record<keyof CredentialsInput, unknown>>;
  const headers = input.headers;
  if (
    typeof headers !== 'object' ||
    headers === null ||
    Array.isArray(headers) ||
    Object.getPrototypeOf(headers) !== Object.prototype
  ) {
    return bad('headers must be a plain record of header names to string values');
  }
  const copy: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!TOKEN.test(name)) bad(`${JSON.stringify(name)} is not a header name`);
    if (RESERVED.has(name.toLowerCase())) bad(`${name} is Ferry's or the browser's to set`);
    if (typeof value !== 'string' || /[\r\n\0]/.test(value))
      bad(`the value of ${name} must be a string without CR, LF or NUL`);
    copy[name] = value as string;
  }
  const expiresAt = input.expiresAt;
  if (expiresAt !== undefined && (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt)))
    bad('expiresAt must be a finite number of ms since the epoch');
  let origin = own;
  if (input.origin !== undefined) {
    try {
      origin = new URL(String(input.origin)).origin;
    } catch {
      bad(`origin ${JSON.stringify(input.origin)} is not a URL`);
    }
    if (origin !== own && !allowed.includes(origin))
      bad(`origin ${origin} is neither this app's (${own}) nor in allowedOrigins`);
  }
  return { user: id, origin, headers: copy, ...(expiresAt !== undefined && { expiresAt: expiresAt as number }) };
}

/** A record of stored credentials, as `credentials.persist` keeps them in the store's meta. */
type Persisted = Omit<CredentialEntry, 'afterRefusal'>[];

/**
 * The credentials the pages handed over, by user and origin, in the worker's
 * memory. A user's ops are sent only with that user's; when there are none
 * (not given yet, expired, refused), the pages are asked (`need`), at most
 * every 30 s per user and origin, and the ops wait.
 */
export class CredentialStore implements CredentialSource {
  readonly #entries = new Map<string, CredentialEntry>();
  readonly #refused = new Set<string>();
  readonly #asked = new Map<string, number>();
  readonly #waiters = new Set<{ key: string; resolve: (e: CredentialEntry | undefined) => void }>();
  readonly #clock: Clock;
  readonly #timers: Timers;
  readonly #need: (message: Omit<CredentialsNeededMessage, 'v' | 'type'>) => void;

  constructor(clock: Clock, timers: Timers, need: (message: Omit<CredentialsNeededMessage, 'v' | 'type'>) => void) {
    this.#clock = clock;
    this.#timers = timers;
    this.#need = need;
  }

  set(entry: Omit<CredentialEntry, 'afterRefusal'>): void {
    const key = keyOf(entry.user, entry.origin);
    const stored: CredentialEntry = { ...entry, afterRefusal: this.#refused.delete(key) };
    this.#entries.set(key, stored);
    this.#asked.delete(key);
    for (const w of [...this.#waiters]) if (w.key === key) w.resolve(stored);
  }

  get(user: string, origin: string): CredentialEntry | undefined {
    const key = keyOf(user, origin);
    const entry = this.#entries.get(key);
    if (entry && (entry.expiresAt === undefined || entry.expiresAt > this.#clock.now())) return entry;
    this.#ask(user, origin, entry ? 'expired' : this.#refused.has(key) ? 'refused' : 'missing');
    return undefined;
  }

  refuse(entry: CredentialEntry): void {
    const key = keyOf(entry.user, entry.origin);
    // Only the entry that was refused: newer ones a page gave meanwhile stay.
    if (this.#entries.get(key) === entry) this.#entries.delete(key);
    this.#refused.add(key);
    this.#asked.delete(key);
    this.#ask(entry.user, entry.origin, 'refused');
  }

  accepted(entry: CredentialEntry): void {
    entry.afterRefusal = false;
  }

  exchange(p: AuthParts, user: string, ex: Exchange, d: Deadline): Promise<Response | SendResult> {
    return asUser(p, user, this, ex, d);
  }

  holds(user: string, origin: string): string | undefined {
    return this.get(user, origin) ? undefined : waitingFor(user, origin);
  }

  waitFor(user: string, origin: string, signal: AbortSignal, ms: number): Promise<CredentialEntry | undefined> {
    const key = keyOf(user, origin);
    if (signal.aborted || !(ms > 0)) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const waiter = {
        key,
        resolve: (e: CredentialEntry | undefined): void => {
          this.#waiters.delete(waiter);
          this.#timers.clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          resolve(e);
        },
      };
      const onAbort = (): void => waiter.resolve(undefined);
      const timer = this.#timers.setTimeout(onAbort, Math.min(ms, 2 ** 31 - 1));
      signal.addEventListener('abort', onAbort);
      this.#waiters.add(waiter);
    });
  }

  /** Forgets every credential of `user` (signed out). */
  forget(user: string): void {
    for (const [key, entry] of this.#entries) if (entry.user === user) this.#entries.delete(key);
    for (const key of [...this.#refused, ...this.#asked.keys()]) {
      if (key.startsWith(`${user}\u0000`)) {
        this.#refused.delete(key);
        this.#asked.delete(key);
      }
    }
  }

  /** What `credentials.persist` writes. */
  toJSON(): Persisted {
    return [...this.#entries.values()].map(({ user, origin, headers, expiresAt }) => ({
      user,
      origin,
      headers,
      ...(expiresAt !== undefined && { expiresAt }),
    }));
  }

  /** Restores what {@link toJSON} wrote; entries that do not read back are skipped. */
  load(saved: unknown, own: string, allowed: readonly string[]): void {
    if (typeof saved !== 'string') return;
    let list: unknown;
    try {
      list = JSON.parse(saved);
    } catch {
      return;
    }
    if (!Array.isArray(list)) return;
    for (const item of list as { user?: unknown }[]) {
      try {
        this.set(checkCredentials(item?.user, item, own, allowed));
      } catch {
        // Written by another version, or tampered with: not used.
      }
    }
  }

  #ask(user: string, origin: string, reason: CredentialsNeededMessage['reason']): void {
    const key = keyOf(user, origin);
    const now = this.#clock.now();
    const last = this.#asked.get(key);
    if (last !== undefined && now - last < ASK_AGAIN_MS && last <= now) return;
    this.#asked.set(key, now);
    this.#need({ user, origin, reason });
  }
}

function keyOf(user: string, origin: string): string {
  return `${user}\u0000${origin}`;
}
