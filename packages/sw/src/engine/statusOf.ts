import type { Outbox } from '@ferry/core';
import type { DoneGroup, StatusResult, StatusRow } from '@ferry/core/protocol';

/** Most WAL records read past the ops' own LSNs to find the read's high-water mark, per page. */
const WAL_PAGE = 500;

/** A status snapshot's start, without what only the host knows (`online`). */
type StatusRead = Omit<StatusResult, 'online'>;

/**
 * What a page's status snapshot starts from, in one readonly transaction: a
 * row per op not yet done (of one user, or everyone's), the done ones
 * counted by lane and user, and the highest LSN the read reflects, so the
 * page can tell which broadcasts it has already counted. Reads every op once (as `stats` with a user does):
 * the page asks at load, on `online`/visible and on a slow timer, never per
 * change.
 *
 * The LSN: every op carries the LSN of its last (re)queue (`seq`) and claim
 * (`leaseToken`); records after the highest of those (outcomes, discards) are
 * read from the WAL, which compaction trims only from its old end.
 */
export function statusOf(outbox: Outbox, doneSince?: number, user?: string | null): Promise<StatusRead> {
  // `user`: only that user's ops (null: nobody's); undefined: everyone's.
  const shown = (r: { user?: string }): boolean => user === undefined || (r.user ?? null) === user;
  return outbox.store.transaction('readonly', async (tx) => {
    const recs = await tx.listOps({ limit: Infinity });
    const ops: StatusRow[] = [];
    const groups = new Map<string, DoneGroup>();
    const recent: string[] = [];
    let lsn = 0;
    for (const r of recs) {
      lsn = Math.max(lsn, r.seq, r.leaseToken ?? 0);
      if (!shown(r)) continue;
      if (r.status !== 'done') {
        const row: StatusRow = { id: r.id, status: r.status, lane: r.lane, nextAttemptAt: r.nextAttemptAt };
        if (r.user !== undefined) row.user = r.user;
        if (r.held !== undefined) row.held = r.held;
        ops.push(row);
        continue;
      }
      if (doneSince !== undefined && r.updatedAt >= doneSince) recent.push(r.id);
      // NUL cannot appear in a lane name or a user id: the key is unambiguous.
      const key = `${r.lane}\u0000${r.user ?? ''}`;
      const g = groups.get(key);
      if (g) {
        g.count++;
        g.lastAt = Math.max(g.lastAt, r.updatedAt);
      } else
        groups.set(key, { lane: r.lane, ...(r.user !== undefined && { user: r.user }), count: 1, lastAt: r.updatedAt });
    }
    for (;;) {
      const page = await tx.walFrom(lsn + 1, WAL_PAGE);
      const last = page.at(-1);
      if (last) lsn = last.lsn;
      if (page.length < WAL_PAGE) break;
    }
    return { ops, done: [...groups.values()], lsn, recent };
  });
}
