/**
 * What the client is told when something fails after the handler ran: never "nothing was stored" when
 * the layer cannot know, and outside the database never that the effect did not happen.
 */
import { describe, expect, it } from 'vitest';
import { FerryServerError } from './FerryServerError.ts';
import type { AppHandler } from './Idempotency.ts';
import { Idempotency } from './Idempotency.ts';
import type { IdempotencyStore } from './IdempotencyStore.ts';
import { MemoryIdempotencyStore } from './MemoryIdempotencyStore.ts';

const post = () =>
  new Request('http://app.test/api/pay', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': 'k1' },
    body: '{"amount":5}',
  });

describe('answers after the effect, outside the database', () => {
  it('the store fails to keep the answer: the client gets the answer it earned, the warning says why', async () => {
    const memory = new MemoryIdempotencyStore();
    const store: IdempotencyStore = {
      claim: (c) => memory.claim(c),
      transact: (c, work) => memory.transact(c, work),
      complete: () => Promise.reject(new Error('connection reset')),
      release: (ref) => memory.release(ref),
      inspect: (scope, key) => memory.inspect(scope, key),
      list: (o) => memory.list(o),
      forget: (scope, key) => memory.forget(scope, key),
      purge: (o) => memory.purge(o),
      close: () => memory.close(),
    };
    const warnings: string[] = [];
    const layer = new Idempotency({
      store,
      singleScope: 'tests',
      effects: 'outside-database',
      onWarning: (w) => warnings.push(w),
    });
    let runs = 0;
    const handler: AppHandler = () => (runs++, Response.json({ paid: true }, { status: 201 }));
    const res = await layer.handle(post(), handler);
    expect([res.status, await res.json()]).toEqual([201, { paid: true }]);
    expect(runs).toBe(1);
    expect(warnings.join('\n')).toMatch(/applied, but its answer could not be stored/);
  });

  it('the handler throws: 500 says its effects outside the database stay done, not that nothing happened', async () => {
    const layer = new Idempotency({
      store: new MemoryIdempotencyStore(),
      singleScope: 'tests',
      effects: 'outside-database',
    });
    const res = await layer.handle(post(), () => {
      throw new Error('the payment service timed out');
    });
    const body = (await res.json()) as { code: string; detail: string };
    expect([res.status, body.code]).toEqual([500, 'handler-failed']);
    expect(body.detail).toMatch(/stays done/);
    expect(body.detail).not.toMatch(/nothing was (applied|stored)/);
  });
});

describe('a store without a database', () => {
  it("rejects a query through ctx.sql with FerryServerError('unsupported'), and stores nothing", async () => {
    const store = new MemoryIdempotencyStore();
    const layer = new Idempotency({ store, singleScope: 'tests' });
    let thrown: unknown;
    const handler: AppHandler = async (_req, ctx) => {
      thrown = await ctx.sql?.query('SELECT 1').catch((err: unknown) => err);
      return Response.json({ ok: true });
    };
    await layer.handle(post(), handler);
    expect(thrown).toBeInstanceOf(FerryServerError);
    expect(thrown).toMatchObject({ name: 'FerryServerError', code: 'unsupported' });
    await store.close();
  });
});
