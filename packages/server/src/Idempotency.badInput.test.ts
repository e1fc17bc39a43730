import { describe, expect, it } from 'vitest';
import { Idempotency } from './Idempotency.ts';
import type { IdempotencyStore } from './IdempotencyStore.ts';
import { useDatabases } from './testing/databases.ts';
import { counting, layerOver, post, problemOf } from './testSupport.ts';

for (const db of useDatabases()) {
  describe(`Idempotency over ${db.name}`, () => {
    const layer = layerOver(db);

    describe('bad input: a problem details answer, the handler not run, nothing stored', () => {
      const keyCases: [string, string][] = [
        ['256 characters', 'k'.repeat(256)],
        ['a tab', 'a\tb'],
        ['DEL', 'a\x7fb'],
        ['a space', 'a b'],
        ['a non-ASCII letter', 'clé'],
        ['an unterminated quote', '"abc'],
        ['an empty quoted string', '""'],
      ];
      for (const [what, key] of keyCases) {
        it(`a key with ${what}`, async () => {
          const { idem, store } = await layer();
          const h = counting();
          expect(await problemOf(await idem.handle(post({ t: 1 }, key), h.handler))).toEqual({
            status: 400,
            code: 'idempotency-key-invalid',
            type: 'application/problem+json',
          });
          expect(h.calls()).toBe(0);
          expect(await rows(store)).toBe(0);
          await store.close();
        });
      }

      it('a body over the limit, with or without Content-Length', async () => {
        const { idem, store } = await layer({ maxBodyBytes: 1_000 });
        const h = counting();
        expect(await problemOf(await idem.handle(post({ t: 'x'.repeat(1_000) }), h.handler))).toMatchObject({
          status: 413,
          code: 'body-too-large',
        });
        const chunked = new Request('http://app.test/api/messages', {
          method: 'POST',
          headers: { 'idempotency-key': 'k9' },
          body: new ReadableStream({
            start: (c) => (c.enqueue(new Uint8Array(600)), c.enqueue(new Uint8Array(600)), c.close()),
          }),
          duplex: 'half',
        } as RequestInit);
        expect(await problemOf(await idem.handle(chunked, h.handler))).toMatchObject({
          status: 413,
          code: 'body-too-large',
        });
        expect(h.calls()).toBe(0);
        expect(await rows(store)).toBe(0);
        await store.close();
      });

      it('a store that cannot be reached: 503 with Retry-After, nothing applied', async () => {
        const { store } = await layer();
        await store.close();
        const broken: IdempotencyStore = Object.assign(Object.create(store) as IdempotencyStore, {
          claim: () => Promise.reject(new Error('connection refused')),
        });
        const h = counting();
        const res = await new Idempotency({ store: broken, singleScope: 'tests' }).handle(post({ t: 1 }), h.handler);
        expect(await problemOf(res)).toMatchObject({ status: 503, code: 'storage-unavailable' });
        expect(res.headers.get('retry-after')).toBe('1');
        expect(h.calls()).toBe(0);
      });
    });

    /** Keys in the store's table. */
    async function rows(store: IdempotencyStore): Promise<number> {
      return (await store.list()).length;
    }
  });
}
