import { TRPCClientError, createTRPCClient, httpLink, splitLink } from '@trpc/client';
import { TRPCError, initTRPC } from '@trpc/server';
import { createHTTPServer } from '@trpc/server/adapters/standalone';
import { afterEach, describe, expect, it } from 'vitest';
import { FerryError } from '@ferry/core';
import { harness } from '../testSupport.ts';
import { ferryLink } from './index.ts';

/** Dates as `{ $date }` on the wire: a transformer as superjson is one, to tell a transformed answer from plain JSON. */
const dates = {
  serialize: (value: unknown): unknown =>
    JSON.parse(
      JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
        const raw = this[key];
        return raw instanceof Date ? { $date: raw.toISOString() } : v;
      }),
    ),
  deserialize: (value: unknown): unknown =>
    JSON.parse(JSON.stringify(value), (_key, v: unknown) =>
      typeof v === 'object' && v !== null && '$date' in v ? new Date(String(v.$date)) : v,
    ),
};

/**
 * A tRPC app (with the `dates` transformer when `transformed`): `send` records a message once per Idempotency-Key (a
 * repeat answers the first answer), `count` reads them, `later` answers its input's date a day later.
 */
function app(transformed = false) {
  const t = initTRPC.context<{ key: string | undefined }>().create(transformed ? { transformer: dates } : {});
  const applied: { text: string; key: string | undefined }[] = [];
  const answers = new Map<string, number>();
  const router = t.router({
    send: t.procedure
      .input((v) => v as { text: string })
      .mutation(({ input, ctx }) => {
        if (input.text === '') throw new TRPCError({ code: 'BAD_REQUEST', message: 'empty message' });
        const known = ctx.key === undefined ? undefined : answers.get(ctx.key);
        if (known !== undefined) return { n: known };
        applied.push({ text: input.text, key: ctx.key });
        if (ctx.key !== undefined) answers.set(ctx.key, applied.length);
        return { n: applied.length };
      }),
    count: t.procedure.query(() => applied.length),
    later: t.procedure
      .input((v) => v as { at: Date })
      .mutation(({ input }) => ({ at: new Date(input.at.getTime() + 86_400_000) })),
  });
  const server = createHTTPServer({
    router,
    basePath: '/trpc/',
    createContext: ({ req }) => ({ key: req.headers['idempotency-key'] as string | undefined }),
  });
  return { router, server, applied };
}

type Router = ReturnType<typeof app>['router'];

describe('ferryLink', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0)) await c();
  });

  async function setup(transformed = false) {
    const { server, applied } = app(transformed);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const h = harness({ origin });
    cleanup.push(async () => {
      await h.close();
      await new Promise((resolve) => server.close(resolve));
    });
    const ferry = h.page();
    const trpc = createTRPCClient<Router>({
      links: [
        splitLink({
          condition: (op) => op.type === 'mutation',
          true: ferryLink({
            ferry,
            url: '/trpc',
            lane: ({ path }) => `trpc:${path}`,
            ...(transformed && { transformer: dates }),
          }),
          // The router type is the plain app's: the transformed one's link options are typed by hand.
          false: httpLink({ url: `${origin}/trpc`, ...(transformed && { transformer: dates as never }) }),
        }),
      ],
    });
    return { ferry, trpc, applied };
  }

  it('sends a mutation as a Ferry op in tRPC’s wire format and resolves with the procedure’s output; queries go the other way', async () => {
    const { ferry, trpc, applied } = await setup();
    expect(await trpc.send.mutate({ text: 'hi' })).toEqual({ n: 1 });
    expect(await trpc.send.mutate({ text: 'again' })).toEqual({ n: 2 });
    expect(applied.map((a) => a.text)).toEqual(['hi', 'again']);
    // Each went with its op's Idempotency-Key, as an op of kind trpc:<path> in the lane chosen.
    const ops = await ferry.list({ lane: 'trpc:send' });
    expect(ops.map((op) => [op.kind, op.status, op.target])).toEqual([
      ['trpc:send', 'done', '/trpc/send'],
      ['trpc:send', 'done', '/trpc/send'],
    ]);
    expect(applied.map((a) => a.key)).toEqual(ops.map((op) => op.idempotencyKey));
    expect(await trpc.count.query()).toBe(2);
  });

  it('rejects with the server’s tRPC error once the op is a dead letter, the dead letter as its cause', async () => {
    const { ferry, trpc, applied } = await setup();
    const err = await trpc.send.mutate({ text: '' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TRPCClientError);
    const error = err as TRPCClientError<Router>;
    expect(error.message).toBe('empty message');
    expect(error.data?.code).toBe('BAD_REQUEST');
    expect(error.cause).toMatchObject({ code: 'dead-letter', reason: { status: 400 } });
    expect(applied).toEqual([]);
    expect((await ferry.list({ status: 'failed' })).map((op) => op.kind)).toEqual(['trpc:send']);
  });

  it('sends the input and reads the output through the router’s transformer', async () => {
    const { trpc } = await setup(true);
    const { at } = (await trpc.later.mutate({ at: new Date(0) })) as unknown as { at: Date };
    expect(at).toBeInstanceOf(Date);
    expect(at.getTime()).toBe(86_400_000);
  });

  it('refuses queries, and a link without a url', async () => {
    const { ferry } = await setup();
    const wrong = createTRPCClient<Router>({ links: [ferryLink({ ferry, url: '/trpc' })] });
    await expect(wrong.count.query()).rejects.toThrow('ferryLink sends mutations only');
    expect(() => ferryLink({ ferry, url: '' })).toThrow(FerryError);
  });
});
