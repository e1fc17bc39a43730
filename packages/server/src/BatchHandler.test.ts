import { describe, expect, it } from 'vitest';
import { createHandler } from './createHandler.ts';
import type { AppHandler } from './Idempotency.ts';
import { useDatabases } from './testing/databases.ts';

const item = (key: string, payload: unknown, extra: Record<string, unknown> = {}) => ({
  id: key,
  kind: 'message.send',
  target: '/api/messages',
  method: 'POST',
  idempotencyKey: key,
  payload,
  ...extra,
});

const batchReq = (body: unknown, headers: Record<string, string> = {}) =>
  new Request('http://app.test/api/batch', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer alice', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

const single = (key: string, payload: unknown) =>
  new Request('http://app.test/api/messages', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer alice', 'idempotency-key': key },
    body: JSON.stringify(payload),
  });

for (const db of useDatabases()) {
  describe(`batch endpoint over ${db.name}`, () => {
    async function server(extra: { delayMs?: number; maxItems?: number } = {}) {
      const store = await db.store();
      const applied: { key: string | null; user: string | null; text: unknown }[] = [];
      const handler: AppHandler = async (req, ctx) => {
        const body = (await req.json()) as { text?: unknown };
        if (typeof body.text !== 'string' || body.text === '')
          return Response.json({ error: 'text is required' }, { status: 400 });
        if (body.text === 'busy')
          return Response.json({ error: 'busy' }, { status: 503, headers: { 'retry-after': '2' } });
        if (extra.delayMs) await new Promise((r) => setTimeout(r, extra.delayMs));
        applied.push({ key: ctx.key, user: ctx.scope, text: body.text });
        return Response.json({ seq: applied.length }, { status: 201 });
      };
      const fetch = createHandler({
        store,
        handler,
        batchPath: '/api/batch',
        scope: (req) => req.headers.get('authorization')?.replace('Bearer ', '') ?? null,
        batch: { maxItems: extra.maxItems ?? 100 },
      });
      return { fetch, store, applied };
    }

    it('applies items in order, each as if alone: its key and the batch credentials, replayed alone later', async () => {
      const { fetch, store, applied } = await server();
      const res = await fetch(
        batchReq({
          ops: [
            item('b1', { text: 'one' }),
            item('b2', { text: 'two' }, { target: 'http://app.test/api/messages' }),
            item('b3', { text: 'three' }),
          ],
        }),
      );
      expect(res.status).toBe(200);
      // Each success carries its body, as the item alone was answered: Ferry keeps it as the op's answer.
      expect(await res.json()).toEqual({
        results: [
          { status: 201, body: { seq: 1 } },
          { status: 201, body: { seq: 2 } },
          { status: 201, body: { seq: 3 } },
        ],
      });
      expect(applied).toEqual([
        { key: 'b1', user: 'alice', text: 'one' },
        { key: 'b2', user: 'alice', text: 'two' },
        { key: 'b3', user: 'alice', text: 'three' },
      ]);
      const alone = await fetch(single('b2', { text: 'two' }));
      expect([alone.status, alone.headers.get('idempotent-replayed')]).toEqual([201, 'true']);
      expect(await alone.json()).toEqual({ seq: 2 });
      expect(
        await (await fetch(batchReq({ ops: [item('b3', { text: 'three' }), item('b4', { text: 'four' })] }))).json(),
      ).toEqual({
        results: [
          { status: 201, body: { seq: 3 } },
          { status: 201, body: { seq: 4 } },
        ],
      });
      expect(applied.map((a) => a.key)).toEqual(['b1', 'b2', 'b3', 'b4']);
      await store.close();
    });

    it("carries a success's body as JSON or text, and leaves out one over maxAnswerBytes", async () => {
      const store = await db.store();
      const bodies: Record<string, () => Response> = {
        json: () => Response.json({ id: 'srv-1' }, { status: 201 }),
        text: () => new Response('saved', { status: 200, headers: { 'content-type': 'text/plain' } }),
        empty: () => new Response(null, { status: 204 }),
        huge: () => Response.json({ pad: 'x'.repeat(200) }, { status: 201 }),
      };
      const fetch = createHandler({
        store,
        singleScope: 'tests',
        batchPath: '/api/batch',
        batch: { maxAnswerBytes: 100 },
        handler: async (req) => (bodies[((await req.json()) as { text: string }).text] as () => Response)(),
      });
      const res = await fetch(
        batchReq({ ops: ['json', 'text', 'empty', 'huge'].map((t) => item(`a-${t}`, { text: t })) }),
      );
      expect(await res.json()).toEqual({
        results: [
          { status: 201, body: { id: 'srv-1' } },
          { status: 200, body: 'saved' },
          { status: 204 },
          { status: 201 },
        ],
      });
      await store.close();
    });

    it('stops at the first failure with its reason and Retry-After; the items behind it are not attempted', async () => {
      const { fetch, store, applied } = await server();
      const body = await (
        await fetch(
          batchReq({
            ops: [item('p1', { text: 'fine' }), item('p2', { text: 'busy' }), item('p3', { text: 'after' })],
          }),
        )
      ).json();
      expect(body).toEqual({
        results: [
          { status: 201, body: { seq: 1 } },
          { status: 503, error: 'busy', retryAfter: '2', body: { error: 'busy' } },
        ],
      });
      expect(applied.map((a) => a.key)).toEqual(['p1']);
      // The 503 was not stored: resent, p2 is attempted again rather than replayed.
      const resent = await fetch(batchReq({ ops: [item('p2', { text: 'busy' })] }));
      expect([resent.status, await resent.json()]).toEqual([
        200,
        { results: [{ status: 503, error: 'busy', retryAfter: '2', body: { error: 'busy' } }] },
      ]);
      const mismatch = await (await fetch(batchReq({ ops: [item('p1', { text: 'changed' })] }))).json();
      // A refusal carries its body (here the layer's problem details), so the app can show it.
      expect(mismatch).toMatchObject({
        results: [
          {
            status: 422,
            error: 'this Idempotency-Key was used with another request (method, path or payload)',
            body: { code: 'idempotency-key-reused' },
          },
        ],
      });
      const invalid = await (
        await fetch(batchReq({ ops: [item('p4', { text: '' }), item('p5', { text: 'x' })] }))
      ).json();
      expect(invalid).toEqual({
        results: [{ status: 400, error: 'text is required', body: { error: 'text is required' } }],
      });
      expect(applied.map((a) => a.key)).toEqual(['p1']);
      await store.close();
    });

    it('concurrent duplicates of one batch: every item applied once, in order', async () => {
      const { fetch, store, applied } = await server({ delayMs: 20 });
      const ops = Array.from({ length: 5 }, (_, i) => item(`c${i}`, { text: `m${i}` }));
      const answers = await Promise.all(
        Array.from({ length: 6 }, () =>
          fetch(batchReq({ ops })).then(
            (r) => r.json() as Promise<{ results: { status: number; retryAfter?: string }[] }>,
          ),
        ),
      );
      expect(applied.map((a) => a.key)).toEqual(['c0', 'c1', 'c2', 'c3', 'c4']);
      for (const a of answers) {
        const last = a.results.at(-1);
        // Each copy got through, or stopped at an item another copy was still applying (409 + Retry-After).
        if (last?.status === 409) expect(last.retryAfter).toMatch(/^\d+$/);
        else expect(a.results).toHaveLength(5);
      }
      // Sent again once the others finished, the batch is all replays.
      const again = (await (await fetch(batchReq({ ops }))).json()) as { results: { status: number }[] };
      expect(again.results.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
      expect(applied).toHaveLength(5);
      await store.close();
    });

    describe('a malformed batch is refused whole with a problem details answer, nothing dispatched or stored', () => {
      const cases: [string, unknown, number, string][] = [
        ['not JSON', '{"ops": [', 400, 'batch-malformed'],
        ['no ops array', { items: [] }, 400, 'batch-malformed'],
        ['0 items', { ops: [] }, 400, 'batch-empty'],
        [
          '10,000 items',
          { ops: Array.from({ length: 10_000 }, (_, i) => item(`k${i}`, { text: 'x' })) },
          400,
          'batch-too-large',
        ],
        ['a body over the limit', { ops: [item('a', { text: 'x'.repeat(5 * 1024 * 1024) })] }, 413, 'body-too-large'],
      ];
      for (const [what, body, status, code] of cases) {
        it(what, async () => {
          const { fetch, store, applied } = await server({ maxItems: 100 });
          const res = await fetch(batchReq(body));
          expect(res.headers.get('content-type')).toBe('application/problem+json');
          expect(await res.json()).toMatchObject({ status, code, type: 'about:blank' });
          expect(res.status).toBe(status);
          expect(applied).toHaveLength(0);
          expect(await store.list()).toEqual([]);
          await store.close();
        });
      }
    });

    describe('a malformed item gets the 400 it would get alone, ends the batch, and nothing of it is stored', () => {
      const cases: [string, unknown, string][] = [
        ['not an object', 7, 'not an object'],
        [
          'no key',
          { target: '/api/messages', method: 'POST', payload: { text: 'x' } },
          'an Idempotency-Key is required',
        ],
        [
          'a key with a control character',
          item('b\u0001', { text: 'y' }),
          'Idempotency-Key refused: the key has a control character, a space or a character outside ASCII',
        ],
        [
          'an oversized key',
          item('k'.repeat(256), { text: 'x' }),
          'Idempotency-Key refused: the key is longer than 255 characters',
        ],
        [
          'a target on another origin',
          item('a', { text: 'x' }, { target: 'https://evil.test/api/messages' }),
          'target must be a same-origin path or URL',
        ],
        [
          'a protocol-relative target',
          item('a', { text: 'x' }, { target: '//evil.test/x' }),
          'target must be a same-origin path or URL',
        ],
        ['an empty target', item('a', { text: 'x' }, { target: '' }), 'target must be a same-origin path or URL'],
        [
          'a lower-case method',
          item('a', { text: 'x' }, { method: 'post' }),
          'method must be an HTTP method in capitals',
        ],
      ];
      for (const [what, bad, error] of cases) {
        it(what, async () => {
          const { fetch, store, applied } = await server();
          const alone = await (await fetch(batchReq({ ops: [bad, item('after', { text: 'z' })] }))).json();
          expect(alone).toEqual({ results: [{ status: 400, error }] });
          expect(applied).toHaveLength(0);
          expect(await store.list()).toEqual([]);
          // Behind a good item: that one stands, the bad one and the rest are not attempted.
          const behind = await (
            await fetch(batchReq({ ops: [item('good', { text: 'g' }), bad, item('after', { text: 'z' })] }))
          ).json();
          expect(behind).toEqual({
            results: [
              { status: 201, body: { seq: 1 } },
              { status: 400, error },
            ],
          });
          expect(applied.map((a) => a.key)).toEqual(['good']);
          await store.close();
        });
      }

      it('a batch sent with GET', async () => {
        const { fetch, store } = await server();
        const res = await fetch(new Request('http://app.test/api/batch'));
        expect([res.status, ((await res.json()) as { code: string }).code, res.headers.get('allow')]).toEqual([
          405,
          'method-not-allowed',
          'POST',
        ]);
        await store.close();
      });
    });
  });
}
