import { TRPCClientError, createTRPCClient, httpLink, splitLink } from '@trpc/client';
import { TRPCError, initTRPC } from '@trpc/server';
import { createHTTPServer } from '@trpc/server/adapters/standalone';
import { afterEach, describe, expect, it } from 'vitest';
import { FerryError } from '@ferry/core';
import { harness } from '../testSupport.ts';
import { ferryLink } from './index.ts';

/** A tRPC app: `send` records a message once per Idempotency-Key (a repeat answers the first answer), `count` reads them. */
function app() {
  const t = initTRPC.context<{ key: string | undefined }>().create();
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

  async function setup() {
    const { server, applied } = app();
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
          true: ferryLink({ ferry, url: '/trpc', lane: ({ path }) => `trpc:${path}` }),
          false: httpLink({ url: `${origin}/trpc` }),
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

  it('refuses queries, and a link without a url', async () => {
    const { ferry } = await setup();
    const wrong = createTRPCClient<Router>({ links: [ferryLink({ ferry, url: '/trpc' })] });
    await expect(wrong.count.query()).rejects.toThrow('ferryLink sends mutations only');
    expect(() => ferryLink({ ferry, url: '' })).toThrow(FerryError);
  });
});
