/** The part of Cache Storage the witness uses. */
export interface CacheStorageLike {
  open(name: string): Promise<{
    match(request: string): Promise<{ json(): Promise<unknown> } | undefined>;
    put(request: string, response: Response): Promise<void>;
  }>;
}

const CACHE = 'ferry-witness';
const KEY = '/ferry-witness/database';

/** What the witness holds: when Ferry's database was first created, and when it was found lost. */
interface Witnessed {
  since: number;
  lost: number[];
}

const isWitnessed = (v: unknown): v is Witnessed =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as Witnessed).since === 'number' &&
  Array.isArray((v as Witnessed).lost) &&
  (v as Witnessed).lost.every((t) => typeof t === 'number');

/**
 * Remembers, outside IndexedDB, that Ferry's database exists, so that a
 * database the browser dropped is noticed instead of silently replaced.
 * Chromium deletes an IndexedDB backing store it finds corrupt when it opens
 * it and hands out a new, empty one; here that happened after the browser
 * was killed, about once in a few hundred relaunches, with or without Ferry.
 * Every op queued in the old database is gone, and no IndexedDB call fails.
 *
 * A database created (`created`) while the witness says one existed before
 * is such a loss: it is recorded, with the time it was found. Cache Storage
 * is kept apart from IndexedDB, and clearing site data clears both, so a
 * user's own reset is not reported as a loss.
 *
 * @returns every loss recorded so far (ms timestamps, oldest first), and
 *   whether this call found a new one
 */
export async function checkWitness(
  caches: CacheStorageLike,
  created: boolean,
  now: number,
  database = 'ferry',
): Promise<{ lost: number[]; lostNow: boolean }> {
  const cache = await caches.open(CACHE);
  // One witness per database: each app on the origin (see ferryNames) has its own.
  const key = database === 'ferry' ? KEY : `${KEY}/${encodeURIComponent(database)}`;
  const held = await (await cache.match(key))?.json().catch(() => undefined);
  const before = isWitnessed(held) ? held : undefined;
  const lostNow = created && before !== undefined;
  const after: Witnessed = before
    ? { since: before.since, lost: lostNow ? [...before.lost, now] : before.lost }
    : { since: now, lost: [] };
  if (!before || lostNow)
    await cache.put(key, new Response(JSON.stringify(after), { headers: { 'content-type': 'application/json' } }));
  return { lost: after.lost, lostNow };
}
