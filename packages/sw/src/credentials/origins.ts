import { FerryError } from '@ferry/core';

/** An allow-listed origin with the `fetch` credentials mode its requests use. */
export interface AllowedOrigin {
  /** `https://api.example`: scheme, host and port only; case and a default port do not matter. */
  origin: string;
  /**
   * `fetch`'s `credentials` for requests to it: `include` sends the
   * browser's cookies for that origin (the API must answer CORS with
   * `Access-Control-Allow-Credentials: true`). @default 'same-origin'
   */
  credentials?: RequestCredentials;
}

/** An `allowedOrigins` entry: an origin, or an origin with its settings. */
export type AllowedOriginEntry = string | AllowedOrigin;

/** Allow-listed origins, each in its one canonical form, with its credentials mode. */
export interface Origins {
  list: string[];
  credentials: ReadonlyMap<string, RequestCredentials>;
}

const MODES: readonly string[] = ['omit', 'same-origin', 'include'] satisfies RequestCredentials[];

/**
 * Reads `allowedOrigins` once, when a host or transport is built: each entry
 * becomes `new URL(entry).origin`, so `https://API.example/`,
 * `https://api.example:443` and `https://api.example` are one origin. An
 * entry that is not an origin (a path, a query, credentials in the URL, a
 * scheme other than http or https, not a URL at all) is an `invalid-config`
 * FerryError: a silent non-match would dead-letter every op sent there.
 */
export function normalizeOrigins(entries: readonly AllowedOriginEntry[] | undefined): Origins {
  const list: string[] = [];
  const credentials = new Map<string, RequestCredentials>();
  if (entries === undefined) return { list, credentials };
  if (!Array.isArray(entries)) throw new FerryError('invalid-config', 'allowedOrigins must be an array of origins');
  for (const entry of entries) {
    const raw = typeof entry === 'string' ? entry : (entry as AllowedOrigin | null)?.origin;
    const origin = originOf(raw);
    if (typeof entry === 'object' && entry.credentials !== undefined) {
      if (!MODES.includes(entry.credentials)) {
        throw new FerryError(
          'invalid-config',
          `allowedOrigins: credentials for ${origin} must be one of ${MODES.join(', ')}, got ${JSON.stringify(entry.credentials)}`,
        );
      }
      credentials.set(origin, entry.credentials);
    }
    if (!list.includes(origin)) list.push(origin);
  }
  return { list, credentials };
}

function originOf(raw: unknown): string {
  const bad = (why: string): never => {
    throw new FerryError(
      'invalid-config',
      `allowedOrigins: ${JSON.stringify(raw)} is not an origin (${why}); write it as "https://api.example"`,
    );
  };
  if (typeof raw !== 'string' || raw === '') return bad('not a non-empty string');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return bad('not an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return bad(`scheme ${url.protocol}`);
  if (url.username !== '' || url.password !== '') return bad('it carries credentials');
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '') return bad('it has a path, a query or a fragment');
  return url.origin;
}
