import type { Clock, SendResult } from '@ferry/core';
import { errorMessage } from '@ferry/core/internal';
import type { CredentialSource } from '../credentials/CredentialStore.ts';
import type { Deadline } from './deadline.ts';
import type { Judge } from './judge.ts';
import type { HttpTransportOptions } from './options.ts';
import type { OriginHealth } from './OriginHealth.ts';
import type { Exchange, Requester } from './request.ts';
import { discardBody } from './response.ts';

/** What the authenticated exchange needs of its transport. */
export interface AuthParts {
  /** The users' credentials the pages handed over; undefined outside a host (ops then go with the hook's headers). */
  credentials: CredentialSource | undefined;
  /** Statuses that say the credentials are not good (`refreshOn`). */
  refreshOn: readonly number[];
  onUnauthorized: HttpTransportOptions['onUnauthorized'];
  request: Requester;
  judge: Judge;
  health: OriginHealth;
  clock: Clock;
}

/**
 * One exchange with the credentials it needs. An op with a user goes with
 * that user's credentials only (the credentials feature's `asUser`). An op without
 * a user goes with the `headers` hook, repeated once after `onUnauthorized`
 * refreshed. Resolves with the response, or with the result when there is none.
 */
export async function authenticated(p: AuthParts, ex: Exchange, d: Deadline): Promise<Response | SendResult> {
  const user = ex.op.user;
  if (user !== undefined && p.credentials) return p.credentials.exchange(p, user, ex, d);
  let res = await p.request(ex, d, undefined);
  const hook = p.onUnauthorized;
  if (!(res instanceof Response) || !p.refreshOn.includes(res.status) || !hook) return res;
  let refreshed: boolean;
  try {
    const refused = res;
    refreshed = await d.race(() => hook(ex.op, refused, { signal: d.signal }));
  } catch (err) {
    discardBody(res);
    if (d.signal.aborted) return p.judge.silence(ex.url.origin, d, p.clock.now());
    return refreshFailed(res.status, err);
  }
  // Once only: credentials that fail right after a refresh will not get better by themselves.
  if (!refreshed) return res;
  discardBody(res);
  return p.request(ex, d, undefined);
}

/** `onUnauthorized` threw (a refresh that failed for a moment): retried later, spending nothing. */
function refreshFailed(status: number, err: unknown): SendResult {
  const why = errorMessage(err);
  return { ok: false, retryable: true, free: true, status, error: `onUnauthorized failed: ${why}` };
}
