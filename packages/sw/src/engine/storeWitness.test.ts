import { describe, expect, it } from 'vitest';
import type { CacheStorageLike } from './storeWitness.ts';
import { checkWitness } from './storeWitness.ts';

/** Cache Storage in memory: bodies kept as text, as the browser keeps bytes. */
function memoryCaches(): CacheStorageLike & { bodies: Map<string, string> } {
  const bodies = new Map<string, string>();
  return {
    bodies,
    open: async (name) => ({
      match: async (key) => {
        const body = bodies.get(`${name} ${key}`);
        return body === undefined ? undefined : new Response(body);
      },
      put: async (key, response) => void bodies.set(`${name} ${key}`, await response.text()),
    }),
  };
}

describe('checkWitness', () => {
  it('reports a database created after one was witnessed, once, and keeps every loss', async () => {
    const caches = memoryCaches();
    expect(await checkWitness(caches, true, 100)).toEqual({ lost: [], lostNow: false });
    expect(await checkWitness(caches, false, 200)).toEqual({ lost: [], lostNow: false });
    expect(await checkWitness(caches, true, 300)).toEqual({ lost: [300], lostNow: true });
    expect(await checkWitness(caches, false, 400)).toEqual({ lost: [300], lostNow: false });
    expect(await checkWitness(caches, true, 500)).toEqual({ lost: [300, 500], lostNow: true });
  });

  it('starts witnessing a database that existed before the witness did, without calling it lost', async () => {
    const caches = memoryCaches();
    expect(await checkWitness(caches, false, 100)).toEqual({ lost: [], lostNow: false });
    expect(await checkWitness(caches, true, 200)).toEqual({ lost: [200], lostNow: true });
  });

  it('reports nothing when site data was cleared (witness and database gone together)', async () => {
    const caches = memoryCaches();
    await checkWitness(caches, true, 100);
    caches.bodies.clear();
    expect(await checkWitness(caches, true, 200)).toEqual({ lost: [], lostNow: false });
  });

  it('treats an unreadable witness as absent and writes a good one', async () => {
    const caches = memoryCaches();
    for (const garbage of ['not json', '{"since":"x","lost":[]}', '{"since":1,"lost":["x"]}', 'null']) {
      caches.bodies.set('ferry-witness /ferry-witness/database', garbage);
      expect(await checkWitness(caches, true, 100)).toEqual({ lost: [], lostNow: false });
      expect(await checkWitness(caches, true, 200)).toEqual({ lost: [200], lostNow: true });
    }
  });
});
