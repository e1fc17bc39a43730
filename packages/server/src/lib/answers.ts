import type { StoredAnswer } from '../IdempotencyStore.ts';
import { problem } from '../problem.ts';

type ResponseBody = ConstructorParameters<typeof Response>[0];

/** Not stored with an answer: hop-by-hop headers, and ones that describe this exchange only. */
const UNSTORED_HEADERS = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'date',
  'upgrade',
  'trailer',
]);

/** 409 `idempotency-key-in-use`, `Retry-After` in whole seconds, at least 1. */
export function inUse(msLeft: number): Response {
  const seconds = Math.max(1, Math.ceil(msLeft / 1000));
  return problem(
    409,
    'idempotency-key-in-use',
    'a request with this Idempotency-Key is still being processed; retry later',
    {
      'retry-after': String(seconds),
    },
  );
}

/** The answer as it will be stored: status, the headers worth replaying (every `Set-Cookie`), the body. */
export async function toStored(res: Response): Promise<StoredAnswer> {
  const headers: [string, string][] = [];
  res.headers.forEach((value, name) => {
    if (!UNSTORED_HEADERS.has(name) && name !== 'set-cookie') headers.push([name, value]);
  });
  for (const cookie of res.headers.getSetCookie()) headers.push(['set-cookie', cookie]);
  return { status: res.status, headers, body: new Uint8Array(await res.arrayBuffer()) };
}

export function fromStored(a: StoredAnswer, extra: [string, string][] = []): Response {
  const headers = new Headers();
  for (const [k, v] of [...a.headers, ...extra]) headers.append(k, v);
  const empty = a.status === 204 || a.status === 205 || a.status === 304;
  return new Response(empty ? null : (a.body as ResponseBody), { status: a.status, headers });
}

/** A stored answer sent again, marked `Idempotent-Replayed: true`. */
export function replay(a: StoredAnswer): Response {
  return fromStored(a, [['idempotent-replayed', 'true']]);
}
