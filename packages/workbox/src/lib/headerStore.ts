/** The part of Cache Storage the header store uses. */
export interface CacheStorageLike {
  open(name: string): Promise<{
    match(request: string): Promise<{ json(): Promise<unknown> } | undefined>;
    put(request: string, response: Response): Promise<void>;
    delete(request: string): Promise<boolean>;
    /** Every key, to find headers left behind by ops that are gone. Optional: without it, nothing is swept. */
    keys?(): Promise<readonly (string | { url: string })[]>;
  }>;
}

const PREFIX = '/ferry-workbox/headers/';
const key = (opId: string): string => `${PREFIX}${encodeURIComponent(opId)}`;

/**
 * The cache of one app's kept headers, named after its host's `name` (see ferryNames):
 * `ferry-workbox-headers` without a name, `ferry-<name>-workbox-headers` with one.
 */
export function headerCacheName(name?: string): string {
  return name === undefined ? 'ferry-workbox-headers' : `ferry-${name}-workbox-headers`;
}

/**
 * The app's headers of each queued request, kept apart from the op (whose
 * payload is the request's body, its intent) in Cache Storage, so that they
 * survive the worker and go out with every attempt. Credentials are never
 * written here: see {@link keptHeaders}.
 */
export class HeaderStore {
  readonly #caches: () => CacheStorageLike;
  readonly #name: string;

  /** `name`: the app's (its host's `name`). */
  constructor(caches: () => CacheStorageLike = () => globalThis.caches, name?: string) {
    this.#caches = caches;
    this.#name = headerCacheName(name);
  }

  async put(opId: string, headers: Record<string, string>): Promise<void> {
    const cache = await this.#caches().open(this.#name);
    await cache.put(
      key(opId),
      new Response(JSON.stringify(headers), { headers: { 'content-type': 'application/json' } }),
    );
  }

  /** The headers kept for `opId`; none when there are none (an op that did not come from the plugin). */
  async get(opId: string): Promise<Record<string, string>> {
    const cache = await this.#caches().open(this.#name);
    const held = await (await cache.match(key(opId)))?.json().catch(() => undefined);
    if (typeof held !== 'object' || held === null) return {};
    return Object.fromEntries(Object.entries(held).filter((e): e is [string, string] => typeof e[1] === 'string'));
  }

  async delete(opId: string): Promise<void> {
    const cache = await this.#caches().open(this.#name);
    await cache.delete(key(opId));
  }

  /** The op ids that have headers kept; empty when the cache cannot list its keys. */
  async ids(): Promise<string[]> {
    const cache = await this.#caches().open(this.#name);
    const keys = (await cache.keys?.()) ?? [];
    return keys
      .map((k) => new URL(typeof k === 'string' ? k : k.url, 'http://x').pathname)
      .filter((path) => path.startsWith(PREFIX))
      .map((path) => decodeURIComponent(path.slice(PREFIX.length)));
  }
}

/** Headers that carry credentials, or that Ferry sets itself: never kept. */
const DROPPED = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'idempotency-key',
  'content-type',
  'content-length',
]);

/**
 * The headers of `request` Ferry keeps with its op: the app's own, minus
 * credentials (`Authorization`, `Cookie`, `Proxy-Authorization`, and any the
 * app names in `drop`) and the ones Ferry sets (`Idempotency-Key`,
 * `Content-Type`). Credentials are the `headers` hook's, asked at send time.
 */
export function keptHeaders(request: Request, drop: readonly string[] = []): Record<string, string> {
  const dropped = new Set([...DROPPED, ...drop.map((h) => h.toLowerCase())]);
  const out: Record<string, string> = {};
  request.headers.forEach((value, name) => {
    if (!dropped.has(name.toLowerCase())) out[name] = value;
  });
  return out;
}
