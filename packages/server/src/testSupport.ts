/** What the Idempotency suites share: requests, answers, a counting handler and a layer over one database. */
import type { AppHandler, IdempotencyOptions } from './Idempotency.ts';
import { Idempotency } from './Idempotency.ts';
import type { Database } from './testing/databases.ts';

/** A JSON POST with an `Idempotency-Key` (none when `key` is null). */
export const post = (
  body: unknown,
  key: string | null = 'k1',
  headers: Record<string, string> = {},
  path = '/api/messages',
) =>
  new Request(`http://app.test${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key === null ? {} : { 'idempotency-key': key }), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

export const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

/** The parts of a problem details answer the suites assert on. */
export async function problemOf(res: Response): Promise<{ status: number; code: unknown; type: string | null }> {
  const body = (await res.json()) as { code?: unknown };
  return { status: res.status, code: body.code, type: res.headers.get('content-type') };
}

/** A handler that counts its calls; `answer` gives each call's response. */
export function counting(answer: (n: number, req: Request) => Response | Promise<Response> = (n) => json(201, { n })) {
  let calls = 0;
  const handler: AppHandler = async (req) => answer(++calls, req);
  return { handler, calls: () => calls };
}

/** A layer over a fresh store on `db` (scope `tests` unless `options.scope`), collecting its warnings. */
export function layerOver(db: Database) {
  return async function layer(options: Partial<IdempotencyOptions> = {}) {
    const store = await db.store();
    const warnings: string[] = [];
    const scope = options.scope ? {} : { singleScope: 'tests' };
    const idem = new Idempotency({ store, ...scope, onWarning: (w) => warnings.push(w), ...options });
    return { idem, store, warnings };
  };
}
