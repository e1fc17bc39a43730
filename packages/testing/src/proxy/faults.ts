import { FerryError } from '@ferry/core';
import { seededRandom } from '../random.ts';

/**
 * What the proxy does with one request:
 * - `pass`: forwards it and relays the answer;
 * - `{ status, headers?, body? }`: answers that itself, nothing forwarded (a gateway's 502, a 429…);
 * - `in-progress`: answers `409` + `Retry-After: 1`, as a deduplicating API does while the key's first request runs;
 * - `hang`: never answers, nothing forwarded;
 * - `reset`: destroys the connection, nothing forwarded;
 * - `apply-and-drop` / `apply-and-hang`: forwards it (the API applies it), then the client never hears the answer;
 * - `{ latencyMs }`: forwards it after that long.
 */
export type Fault =
  | 'pass'
  | { status: number; headers?: Record<string, string>; body?: string }
  | 'in-progress'
  | 'hang'
  | 'reset'
  | 'apply-and-drop'
  | 'apply-and-hang'
  | { latencyMs: number };

/** A request as a plan sees it: before anything is forwarded. */
export interface PlannedRequest {
  method: string;
  path: string;
  /** The `Idempotency-Key` header, or the op's key for an op of a batch request. */
  key: string | null;
  /** The request's headers, names lower-cased (a batch op: its batch request's). */
  headers: Readonly<Record<string, string>>;
  /** The body parsed as JSON (a batch op: its payload); absent when it is not JSON. */
  body?: unknown;
  /** Set for an op of a batch request: it is planned as if it came alone, with its own method, path and key. */
  batched?: boolean;
}

/** Chooses the fault for a request; `nth` counts the requests with its key so far, from 1. */
export type FaultPlan = (req: PlannedRequest, nth: number) => Fault;

/** How often each fault is drawn, as a probability per request (their sum at most 1; the rest pass). */
export interface FaultRates {
  unavailable?: number;
  tooManyRequests?: number;
  inProgress?: number;
  hang?: number;
  reset?: number;
  applyAndDrop?: number;
  /** Requests that pass after a latency drawn in `latencyMs`. */
  slow?: number;
}

export interface RandomFaultsOptions {
  /** The seed (an integer in [0, 2^32)): print it with a failure, pass it again to replay the same faults. */
  seed: number;
  rates: FaultRates;
  /** Faults at most per key, so that every op can get through. @default 3 */
  maxPerKey?: number;
  /** The latency range of `slow` requests, ms. @default [50, 500] */
  latencyMs?: readonly [number, number];
  /** The `Retry-After` of 503, 429 and in-progress answers, seconds. @default 1 */
  retryAfterSeconds?: number;
}

/**
 * A seeded mix of faults. Each draw comes from the seed, the key and `nth`
 * alone, so a seed gives the same fault to the same attempt of the same key
 * whatever order requests arrive in.
 */
export function randomFaults(options: RandomFaultsOptions): FaultPlan {
  const { seed, rates, maxPerKey = 3, latencyMs = [50, 500], retryAfterSeconds = 1 } = options;
  const entries = Object.entries(rates) as [keyof FaultRates, number][];
  const total = entries.reduce((sum, [, p]) => sum + p, 0);
  if (entries.some(([, p]) => !(p >= 0)) || total > 1)
    throw new FerryError('invalid-config', `rates must be probabilities summing to at most 1, got ${total}`);
  const retryAfter = { 'Retry-After': String(retryAfterSeconds) };
  const faultOf = (name: keyof FaultRates, random: () => number): Fault => {
    switch (name) {
      case 'unavailable':
        return { status: 503, headers: retryAfter, body: 'Service Unavailable' };
      case 'tooManyRequests':
        return { status: 429, headers: retryAfter, body: 'Too Many Requests' };
      case 'inProgress':
        return 'in-progress';
      case 'hang':
        return 'hang';
      case 'reset':
        return 'reset';
      case 'applyAndDrop':
        return 'apply-and-drop';
      case 'slow':
        return { latencyMs: latencyMs[0] + Math.floor(random() * (latencyMs[1] - latencyMs[0] + 1)) };
    }
  };
  return (req, nth) => {
    if (nth > maxPerKey) return 'pass';
    const random = seededRandom(seed, `${req.method} ${req.path} ${req.key ?? ''} ${nth}`);
    let x = random();
    for (const [name, p] of entries) {
      if (x < p) return faultOf(name, random);
      x -= p;
    }
    return 'pass';
  };
}
