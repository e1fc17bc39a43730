// docs/hono.md's example, as installed from the tarballs, driven with Hono's own `app.request`
// (consumer.ts compiles it next to the example and runs it with Node).
import { deepStrictEqual, strictEqual } from 'node:assert/strict';
import app, { saved } from './hono-example.js';

const send = (key: string | null, text: string): Promise<Response> =>
  Promise.resolve(
    app.request('/api/messages', {
      method: 'POST',
      headers: {
        'x-user': 'alice',
        'content-type': 'application/json',
        ...(key !== null && { 'idempotency-key': key }),
      },
      body: JSON.stringify({ text }),
    }),
  );
const problem = async (res: Response): Promise<[number, string | null, unknown]> => [
  res.status,
  res.headers.get('content-type'),
  ((await res.json()) as { code?: string }).code,
];

const first = await send('h1', 'hello');
const firstBody = await first.text();
deepStrictEqual(
  [first.status, first.headers.get('idempotent-replayed'), JSON.parse(firstBody)],
  [201, null, { id: 1 }],
);
const again = await send('h1', 'hello');
deepStrictEqual([again.status, again.headers.get('idempotent-replayed'), await again.text()], [201, 'true', firstBody]);
deepStrictEqual(saved, [{ text: 'hello' }]);
deepStrictEqual(await problem(await send('h1', 'changed')), [
  422,
  'application/problem+json',
  'idempotency-key-reused',
]);
deepStrictEqual(await problem(await send(null, 'no key')), [
  400,
  'application/problem+json',
  'idempotency-key-missing',
]);
const batch = await app.request('/api/batch', {
  method: 'POST',
  headers: { 'x-user': 'alice', 'content-type': 'application/json' },
  body: JSON.stringify({
    ops: [
      { target: '/api/messages', method: 'POST', idempotencyKey: 'h1', payload: { text: 'hello' } },
      { target: '/api/messages', method: 'POST', idempotencyKey: 'h2', payload: { text: 'two' } },
    ],
  }),
});
// Each success carries its body: h1's is the stored answer (a replay), h2's is new.
deepStrictEqual(await batch.json(), {
  results: [
    { status: 201, body: { id: 1 } },
    { status: 201, body: { id: 2 } },
  ],
});
deepStrictEqual(saved, [{ text: 'hello' }, { text: 'two' }]);
strictEqual((await app.request('/api/messages', { method: 'POST', body: '{}' })).status, 401);
console.log('hono example: ok');
// The example's PGlite is the app's to close, and the example does not export it.
process.exit(0);
