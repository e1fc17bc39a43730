import { FerryError } from '@ferry/core';
import type { OriginPause, PauseQuery } from '@ferry/core/protocol';
import { MAX_PAUSE_SECONDS } from '@ferry/core/protocol';
import type { OriginPauses } from '../options.ts';

/**
 * The validator of a `pauses` request's `pause` (the protocol's validator checks only that it is an object):
 * `seconds` an integer in [1, `MAX_PAUSE_SECONDS`] (else `invalid-argument`), `origin` the host's own (the default)
 * or an allow-listed one (else `target-not-allowed`), normalised as `new URL(o).origin`.
 */
export function parsePause(pause: PauseQuery, origins: Pick<OriginPauses, 'own' | 'allowed'>): Required<PauseQuery> {
  const { seconds, origin } = pause as unknown as Record<string, unknown>;
  if (!Number.isInteger(seconds) || (seconds as number) < 1 || (seconds as number) > MAX_PAUSE_SECONDS)
    throw new FerryError('invalid-argument', `pause.seconds must be an integer in [1, ${MAX_PAUSE_SECONDS}]`);
  if (origin === undefined) return { seconds: seconds as number, origin: origins.own };
  let normal: string | undefined;
  try {
    normal = typeof origin === 'string' ? new URL(origin).origin : undefined;
  } catch {
    normal = undefined;
  }
  if (normal === undefined || !origins.allowed.includes(normal))
    throw new FerryError('target-not-allowed', `pause.origin must be the host's origin or an allow-listed one`);
  return { seconds: seconds as number, origin: normal };
}

/**
 * Answers a `pauses` request: pauses the origin `pause` names for its seconds when set (the transport's own
 * per-origin pause, the one a `Retry-After` starts: lanes to that origin are deferred to its end, spending
 * nothing, and go on by themselves), then lists the pauses running. A pause lives in the worker's memory.
 */
export function servePauses(origins: OriginPauses, pause: PauseQuery | undefined): OriginPause[] {
  if (pause !== undefined) {
    const { seconds, origin } = parsePause(pause, origins);
    origins.pause(origin, origins.now() + seconds * 1000);
  }
  return origins.list();
}
