import type { Clock, Operation, SendResult } from '@ferry/core';
import { errorMessage } from '@ferry/core/internal';
import type { CredentialEntry } from '../credentials/CredentialStore.ts';
import type { Deadline } from './deadline.ts';
import type { Judge } from './judge.ts';
import type { SendSpan } from './tracing.ts';
import type { FetchLike, HttpTransportOptions } from './options.ts';

/**
 * Carries the op's `user`, percent-encoded, on every request of an op that has
 * one: it names whose op this is and authorises nothing. `@ferry/server`'s
 * `user` option refuses an op of another user than the session's with
 * `403 user-mismatch`, which Ferry reads as a session refusal (held).
 */
export const USER_HEADER = 'Ferry-User';

/** A header `fetch` would refuse: named, never echoed with its value (a token, in Node's message). */
export class BadHeader extends Error {}

/**
 * The request headers: the hook's, then the user's credentials over them.
 * Throws {@link BadHeader} naming (never quoting the value of) a header that
 * `fetch` would refuse: a value with CR, LF or NUL, or a name that is not a token.
 */
export function requestHeaders(extra: Record<string, string>, creds: CredentialEntry | undefined): Headers {
  const headers = new Headers();
  const entries = [...Object.entries(extra), ...Object.entries(creds?.headers ?? {})];
  for (const [name, value] of entries) {
    const bad = typeof value !== 'string' || /[\r\n\0]/.test(value);
    if (bad) throw new BadHeader(`the value of header ${label(name)} is not valid`);
    try {
      headers.set(name, value);
    } catch {
      // The platform's message quotes the value: say which header, not what it held.
      throw new BadHeader(`header ${label(name)} is not valid`);
    }
  }
  return headers;
}

/** A header name as shown in an error: printable, quoted, bounded. */
function label(name: string): string {
  return JSON.stringify(name.slice(0, 64));
}

/** An exchange to make: what differs between a single send and a batch. */
export interface Exchange {
  url: URL;
  method: Operation['method'];
  body?: string;
  /** `Idempotency-Key`: the op's own on a single send; none on a batch (each item carries its key). */
  key?: string;
  /** Given to the `headers` and `onUnauthorized` hooks. */
  op: Operation;
  /** The send's span, when the transport traces (`tracer`): its `traceparent` is sent, the answer shown to it. */
  span?: SendSpan | undefined;
}

/** An exchange made under a send's deadline: the response, or the failure when there is none. */
export type ExchangeFn = (ex: Exchange, d: Deadline) => Promise<Response | SendResult>;

/** One HTTP exchange; resolves with the response, or with the failure when there is none. */
export type Requester = (
  ex: Exchange,
  d: Deadline,
  creds: CredentialEntry | undefined,
) => Promise<Response | SendResult>;

/** What a request needs of its transport. */
export interface RequestParts {
  fetch: FetchLike;
  headers: HttpTransportOptions['headers'];
  /** `fetch`'s credentials mode per allow-listed origin; `same-origin` for others. */
  modes: ReadonlyMap<string, RequestCredentials>;
  judge: Judge;
  clock: Clock;
}

/**
 * Makes single HTTP exchanges: the `headers` hook's headers under the
 * send's deadline, then the user's credentials over them, the key, the
 * user's name, no redirects followed. Nothing goes on the wire once the
 * deadline passed; a hook that throws is a failure that spends nothing.
 */
export function requester(p: RequestParts): Requester {
  return async (ex, d, creds) => {
    const startedAt = p.clock.now();
    const origin = ex.url.origin;
    if (d.signal.aborted) return p.judge.silence(origin, d, startedAt);
    let headers: Headers;
    try {
      const hook = p.headers;
      const extra = hook ? await d.race(() => hook(ex.op, { signal: d.signal })) : {};
      // The user's own credentials win over whatever the hook returned.
      headers = requestHeaders(extra, creds);
    } catch (err) {
      if (d.signal.aborted) return p.judge.silence(origin, d, startedAt);
      // Nothing went out, as when there is no answer: the op is not at fault, and spends nothing.
      const why = errorMessage(err);
      const error = err instanceof BadHeader ? `headers hook: ${why}` : `headers hook failed: ${why}`;
      return { ok: false, retryable: true, free: true, error };
    }
    if (ex.body !== undefined) headers.set('Content-Type', 'application/json');
    if (ex.key !== undefined) headers.set('Idempotency-Key', ex.key);
    // Whose op this is (a batch's ops share a lane, so a user): a server compares it with its session's user.
    if (ex.op.user !== undefined) headers.set(USER_HEADER, encodeURIComponent(ex.op.user));
    if (ex.span) headers.set('traceparent', ex.span.traceparent);
    try {
      const init: RequestInit = {
        method: ex.method,
        headers,
        signal: d.signal,
        credentials: p.modes.get(origin) ?? 'same-origin',
        // A redirect could carry the key and auth headers past the allow-list: refuse to follow it.
        redirect: 'manual',
      };
      if (ex.body !== undefined) init.body = ex.body;
      const res = await p.fetch(ex.url.href, init);
      ex.span?.answered(res);
      return res;
    } catch (err) {
      return p.judge.silence(origin, d, startedAt, err);
    }
  };
}
