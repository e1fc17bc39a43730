import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The demo's two accounts: the sign-in switch offers these. */
export const DEMO_USERS: readonly string[] = ['alice', 'bob'];

/**
 * Signed bearer tokens: `user.expiresAt.hmac`, HMAC-SHA256 under a secret
 * the server makes at start. The server takes a message's author from a
 * token it verified, never from the op's payload or its `user` field.
 */
export class Tokens {
  readonly #secret: Buffer;
  readonly #ttlMs: number;

  constructor(secret: Buffer = randomBytes(32), ttlMs = 10 * 60 * 1000) {
    this.#secret = secret;
    this.#ttlMs = ttlMs;
  }

  issue(user: string, now = Date.now()): { token: string; expiresAt: number } {
    const expiresAt = now + this.#ttlMs;
    const body = `${user}.${expiresAt}`;
    return { token: `${body}.${this.#mac(body)}`, expiresAt };
  }

  /** The user a token was issued to, or undefined if it is forged, malformed or expired. */
  verify(token: string, now = Date.now()): string | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const [user, expires, mac] = parts as [string, string, string];
    const want = Buffer.from(this.#mac(`${user}.${expires}`));
    const got = Buffer.from(mac);
    if (got.length !== want.length || !timingSafeEqual(got, want)) return undefined;
    return Number(expires) > now ? user : undefined;
  }

  #mac(body: string): string {
    return createHmac('sha256', this.#secret).update(body).digest('base64url');
  }
}
