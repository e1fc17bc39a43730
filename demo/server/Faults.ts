/**
 * How the reference server misbehaves on purpose (the demo's controls, and
 * the fault-injection tests). All probabilities are in [0, 1].
 */
export interface FaultSettings {
  /** Answer 503 before applying. */
  failureRate: number;
  /** Added to every API response, in ms. */
  latencyMs: number;
  /** Answer 429 with `Retry-After: retryAfterS` before applying. */
  rateLimitRate: number;
  retryAfterS: number;
  /** Messages whose text contains this (case-insensitive) are rejected as invalid with 422. Empty: off. */
  poison: string;
  /**
   * An outage as the browser sees it: `/api/messages` requests get no answer,
   * the connection is destroyed. The control routes keep working.
   */
  offline: boolean;
}

export const NO_FAULTS: FaultSettings = {
  failureRate: 0,
  latencyMs: 0,
  rateLimitRate: 0,
  retryAfterS: 2,
  poison: '',
  offline: false,
};

export type FaultDecision =
  | { kind: 'pass' }
  | { kind: 'fail503' }
  | { kind: 'rate429'; retryAfterS: number }
  | { kind: 'poison'; reason: string };

/** Validates a settings patch from the control API; throws on nonsense. */
export function mergeFaults(current: FaultSettings, patch: unknown): FaultSettings {
  if (typeof patch !== 'object' || patch === null) throw new TypeError('faults must be an object');
  const next = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (!(key in NO_FAULTS)) throw new TypeError(`unknown fault setting ${key}`);
    if (key === 'poison') {
      if (typeof value !== 'string' || value.length > 100) throw new TypeError('poison must be a short string');
      next.poison = value;
      continue;
    }
    if (key === 'offline') {
      if (typeof value !== 'boolean') throw new TypeError('offline must be a boolean');
      next.offline = value;
      continue;
    }
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
      throw new TypeError(`${key} must be a number >= 0`);
    if (key.endsWith('Rate') && value > 1) throw new TypeError(`${key} must be <= 1`);
    (next as unknown as Record<string, number>)[key] = value;
  }
  return next;
}

export function decideFault(f: FaultSettings, text: string, random: () => number): FaultDecision {
  if (f.poison && text.toLowerCase().includes(f.poison.toLowerCase())) {
    return { kind: 'poison', reason: `message rejected: it contains "${f.poison}"` };
  }
  if (random() < f.rateLimitRate) return { kind: 'rate429', retryAfterS: f.retryAfterS };
  if (random() < f.failureRate) return { kind: 'fail503' };
  return { kind: 'pass' };
}
