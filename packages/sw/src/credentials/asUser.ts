import type { SendResult } from '@ferry/core';
import type { AuthParts } from '../http/auth.ts';
import type { Deadline } from '../http/deadline.ts';
import type { Exchange } from '../http/request.ts';
import { discardBody } from '../http/response.ts';
import type { CredentialSource } from './CredentialStore.ts';

/** How long a send refused with a 401 waits for fresh credentials from a page before its lane is held. */
const REFRESH_WAIT_MS = 5000;

/**
 * One exchange of an op of `user`: with that user's credentials only (held without them). A refusal
 * (`refreshOn`) drops them, waits for new ones from a page and repeats once. Resolves with the response, or
 * with the result when there is none.
 */
export async function asUser(
  p: AuthParts,
  user: string,
  source: CredentialSource,
  ex: Exchange,
  d: Deadline,
): Promise<Response | SendResult> {
  const origin = ex.url.origin;
  let creds = source.get(user, origin);
  if (!creds) return held(user, origin, undefined, true);
  let res = await p.request(ex, d, creds);
  for (let refusals = 0; res instanceof Response && p.refreshOn.includes(res.status); refusals++) {
    discardBody(res);
    // A refusal of the credentials is the app's own answer: the origin is up.
    p.health.answered(origin, p.clock.now());
    source.refuse(creds);
    const status = res.status;
    // Refused again right after a refresh: the page's credentials do not work; that counts.
    if (refusals > 0 || creds.afterRefusal) return held(user, origin, status, false);
    // A page's refresh takes a second or two; past that the lane is held rather than its slot.
    const fresh = await source.waitFor(user, origin, d.signal, Math.min(d.remaining(), REFRESH_WAIT_MS));
    if (!fresh) return held(user, origin, status, true);
    creds = fresh;
    res = await p.request(ex, d, creds);
  }
  if (res instanceof Response && res.status >= 200 && res.status < 300) source.accepted(creds);
  return res;
}

/** Why an op of `user` waits: no usable credentials of theirs for `origin`. */
export function waitingFor(user: string, origin: string): string {
  return `waiting for credentials of user ${JSON.stringify(user)} for ${origin}`;
}

/**
 * An op held for its user's credentials: none yet (free), refused and no new
 * ones in time (free), or refused again right after new ones (an attempt).
 */
function held(user: string, origin: string, status: number | undefined, free: boolean): SendResult {
  const why = waitingFor(user, origin);
  const refused = free ? 'credentials refused' : 'credentials refused again after new ones';
  const error = status === undefined ? why : `HTTP ${status}: ${refused}; ${why}`;
  const result: SendResult = { ok: false, retryable: true, hold: why, error, ...(free && { free: true }) };
  if (status !== undefined) result.status = status;
  return result;
}
