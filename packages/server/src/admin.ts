import type { IdempotencyStore, KeyDetail } from './IdempotencyStore.ts';
import { problem } from './problem.ts';

export interface AdminOptions {
  store: IdempotencyStore;
  /**
   * The path the admin routes live under. Mount the handler behind the app's own operator
   * authentication: it lists every user's keys and can forget any of them.
   * @default '/admin/idempotency'
   */
  basePath?: string;
}

/**
 * An operator's view of the keys, as a Fetch API handler:
 * - `GET {base}/keys?scope=&state=running|done&afterScope=&afterKey=&limit=` lists a page (`{ keys }`);
 * - `GET {base}/keys/{scope}/{key}` inspects one, its stored answer's body as text (`404` when unknown);
 * - `DELETE {base}/keys/{scope}/{key}` forgets one, so its next request runs anew (`409` while a
 *   request's transaction holds it, `404` when unknown);
 * - `POST {base}/purge?batchSize=&maxBatches=` deletes expired keys in bounded batches (`{ purged }`).
 * Path segments are percent-encoded. Anything else is `404`.
 */
export function createAdminHandler(options: AdminOptions): (req: Request) => Promise<Response> {
  const base = (options.basePath ?? '/admin/idempotency').replace(/\/$/, '');
  const { store } = options;
  return async (req) => {
    const url = new URL(req.url);
    if (!url.pathname.startsWith(`${base}/`)) return notFound();
    const parts = url.pathname
      .slice(base.length + 1)
      .split('/')
      .map(decodeURIComponent);
    const q = url.searchParams;
    if (parts[0] === 'purge' && parts.length === 1) {
      if (req.method !== 'POST') return notAllowed('POST');
      const purged = await store.purge({
        ...(q.has('batchSize') && { batchSize: Number(q.get('batchSize')) }),
        ...(q.has('maxBatches') && { maxBatches: Number(q.get('maxBatches')) }),
      });
      return Response.json({ purged });
    }
    if (parts[0] !== 'keys') return notFound();
    if (parts.length === 1) {
      if (req.method !== 'GET') return notAllowed('GET');
      const state = q.get('state');
      if (state !== null && state !== 'running' && state !== 'done')
        return problem(400, 'admin-query-invalid', "state must be 'running' or 'done'");
      const afterScope = q.get('afterScope');
      const keys = await store.list({
        ...(q.has('scope') && { scope: q.get('scope') as string }),
        ...(state !== null && { state }),
        ...(afterScope !== null && { after: { scope: afterScope, key: q.get('afterKey') ?? '' } }),
        ...(q.has('limit') && { limit: Math.min(1_000, Math.max(1, Number(q.get('limit')) || 100)) }),
      });
      return Response.json({ keys });
    }
    if (parts.length !== 3) return notFound();
    const [, scope, key] = parts as [string, string, string];
    if (req.method === 'GET') {
      const detail = await store.inspect(scope, key);
      return detail ? Response.json(view(detail)) : notFound();
    }
    if (req.method === 'DELETE') {
      if (await store.forget(scope, key)) return new Response(null, { status: 204 });
      return (await store.inspect(scope, key))
        ? problem(409, 'idempotency-key-in-use', 'a request holds this key right now; try again once it finishes')
        : notFound();
    }
    return notAllowed('GET, DELETE');
  };
}

/** The key with its stored answer's body as text (answers are JSON or text in practice). */
function view(d: KeyDetail) {
  const { answer, ...record } = d;
  return {
    ...record,
    answer: answer && { ...answer, body: new TextDecoder().decode(answer.body) },
  };
}

const notFound = () => problem(404, 'not-found', 'no such admin route or key');
const notAllowed = (allow: string) => problem(405, 'method-not-allowed', `this route answers ${allow}`, { allow });
