import type { CredentialEntry } from '../lib/credentials.ts';

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
