import { FerryError } from '@ferry/core';

/** A seeded random source (mulberry32): the same seed and name give the same stream, in Node and browsers. */
export interface SeededRandom {
  /** A float in [0, 1). */
  (): number;
  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number;
  pick<T>(items: readonly T[]): T;
}

/**
 * The random stream for `name` under `seed`: each scenario of a suite mixes
 * its own name in, so its choices do not depend on which scenarios ran first.
 * @param seed an integer in [0, 2^32)
 */
export function seededRandom(seed: number, name = ''): SeededRandom {
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32)
    throw new FerryError('invalid-config', `seed must be an integer in [0, 2^32), got ${String(seed)}`);
  let h = seed ^ 0x9e3779b9;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x85ebca6b);
  let a = h >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const rng = next as SeededRandom;
  rng.int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1));
  rng.pick = (items) => items[Math.floor(next() * items.length)] as (typeof items)[number];
  return rng;
}

/**
 * The suite's seed: `FERRY_SEED` when set (to replay a failure), otherwise
 * one drawn now. Print it with every failure.
 */
export function suiteSeed(env: string | undefined): number {
  if (env === undefined || env === '') return Math.floor(Math.random() * 2 ** 32);
  const n = Number(env);
  if (!Number.isInteger(n) || n < 0 || n >= 2 ** 32)
    throw new FerryError('invalid-config', `FERRY_SEED must be an integer in [0, 2^32), got ${JSON.stringify(env)}`);
  return n;
}
