import type { OutboxStore } from '@ferry/core';
import { FerryError } from '@ferry/core';

/** One user's sign-in state, shared by every tab through the store. */
interface Session {
  /** Counts the user's sign-outs: a page signed in before the last one holds an older epoch. */
  epoch: number;
  signedOut: boolean;
}

/** The store meta key of the sessions (JSON: user → {@link Session}). */
const SESSIONS_META = 'user-sessions';

/**
 * Who is signed in, as far as the pages told the worker: a sign-out anywhere
 * is a sign-out everywhere. Each sign-out raises the user's epoch; a page
 * learns the epoch when it signs the user in, and credentials it gives later
 * carry it. Credentials for a user signed out since, or minted under an older
 * epoch (a tab that missed the sign-out, whose provider now mints a token from
 * the next user's refresh cookie), are refused with `signed-out`.
 *
 * Kept in the store, not in memory: it must outlive a worker restart, and in
 * page mode every tab runs an engine of its own over the same store. Reads
 * and writes are rare (a sign-in, a sign-out, a hand-over of credentials).
 */
export class UserSessions {
  readonly #store: OutboxStore;

  constructor(store: OutboxStore) {
    this.#store = store;
  }

  /** `user` signed in on a page: resolves with the epoch that page's credentials must carry. */
  signIn(user: string): Promise<number> {
    return this.#change(user, (s) => ({ epoch: s.epoch, signedOut: false }));
  }

  /** `user` signed out: resolves with the new epoch (older ones are refused from now on). */
  signOut(user: string): Promise<number> {
    return this.#change(user, (s) => ({ epoch: s.epoch + 1, signedOut: true }));
  }

  /**
   * Throws `signed-out` when credentials for `user` must not be taken: the user
   * is signed out, or `epoch` (the one the giving page signed in under) is older
   * than the current one. Without an epoch (a page that never signed the user
   * in), only a sign-out refuses.
   */
  async admit(user: string, epoch: number | undefined): Promise<void> {
    const s = (await this.#read())[user] ?? { epoch: 0, signedOut: false };
    if (s.signedOut)
      throw new FerryError(
        'signed-out',
        `${JSON.stringify(user)} is signed out; sign them in (setUser) before giving credentials`,
      );
    if (epoch !== undefined && epoch < s.epoch) {
      throw new FerryError(
        'signed-out',
        `credentials for ${JSON.stringify(user)} come from a page signed in before their last sign-out; sign in again there`,
      );
    }
  }

  async #change(user: string, next: (s: Session) => Session): Promise<number> {
    return this.#store.transaction('readwrite', async (tx) => {
      const all = parse(await tx.getMeta(SESSIONS_META));
      const now = next(all[user] ?? { epoch: 0, signedOut: false });
      const before = all[user];
      if (before?.epoch !== now.epoch || before.signedOut !== now.signedOut) {
        all[user] = now;
        await tx.putMeta(SESSIONS_META, JSON.stringify(all));
      }
      return now.epoch;
    });
  }

  async #read(): Promise<Record<string, Session>> {
    return parse(await this.#store.transaction('readonly', (tx) => tx.getMeta(SESSIONS_META)));
  }
}

/**
 * The stored sessions; anything unreadable counts as none (nobody signed out).
 * A prototype-less record: a user id such as `__proto__` is a key like any other.
 */
function parse(raw: unknown): Record<string, Session> {
  const out = Object.create(null) as Record<string, Session>;
  if (typeof raw !== 'string') return out;
  try {
    const value = JSON.parse(raw) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return out;
    for (const [user, s] of Object.entries(value as Record<string, Partial<Session>>)) {
      if (Number.isInteger(s?.epoch) && typeof s?.signedOut === 'boolean')
        out[user] = { epoch: s.epoch as number, signedOut: s.signedOut };
    }
    return out;
  } catch {
    return out;
  }
}
