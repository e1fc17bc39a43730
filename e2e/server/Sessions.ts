import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The test API's sign-in, as a real app's: a bearer token the test hands out
 * (`tokens`: token → user), or a session cookie set by `POST /api/login`
 * (`{ user }`) and cleared by `POST /api/logout`. The verified user is what
 * @ferry/server's `user` option compares an op's `Ferry-User` with, and what
 * each applied effect records.
 */
export class Sessions {
  /** Valid bearer tokens and whose they are. */
  readonly tokens = new Map<string, string>();

  /** The user the request's credentials verify: its bearer token's, else its session cookie's; null for none. */
  userOf(headers: Headers): string | null {
    const bearer = /^Bearer (.+)$/.exec(headers.get('authorization') ?? '')?.[1];
    if (bearer !== undefined) return this.tokens.get(bearer) ?? null;
    const cookie = /(?:^|;\s*)session=([^;]*)/.exec(headers.get('cookie') ?? '')?.[1];
    return cookie ? decodeURIComponent(cookie) : null;
  }

  /** Answers `/api/login` and `/api/logout`; false for any other path. */
  handle(path: string, body: string, res: ServerResponse, req: IncomingMessage): boolean {
    if (req.method !== 'POST' || (path !== '/api/login' && path !== '/api/logout')) return false;
    const user = path === '/api/login' ? String((JSON.parse(body || '{}') as { user?: unknown }).user ?? '') : '';
    const cookie = user ? `session=${encodeURIComponent(user)}; Path=/; SameSite=Lax` : 'session=; Path=/; Max-Age=0';
    res.writeHead(204, { 'Set-Cookie': cookie, 'Cache-Control': 'no-store' });
    res.end();
    return true;
  }
}
