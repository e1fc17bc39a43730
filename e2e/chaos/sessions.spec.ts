/**
 * Sessions as real apps have them, in real Chromium with the shipped defaults
 * (`createFerryHost({})`, no test flags), against the test API on
 * @ferry/server (which refuses another user's op with `403 user-mismatch`):
 *
 * - session-expired-*: the session expires with 30 ops queued in 3 lanes, and
 *   the API answers `401`, a `302` to its login page, or `403 session
 *   expired`. Nothing is lost and at most one op fails on the way: every lane
 *   is held with `needs-auth`, and after the sign-in (a new session cookie,
 *   then `syncNow`) all 30 arrive once, in order.
 * - user-switch-*: two tabs; alice's op is queued offline, then bob signs in
 *   in the other tab. With bearer tokens (a sign-out in between) and with a
 *   cookie session (no sign-out told to Ferry at all), alice's op is never
 *   applied as bob, and it goes as alice once she is back.
 */
import type { Page } from '@playwright/test';
import { json } from '../server/TestServer.ts';
import type { Fault, PlannedRequest } from '../server/TestServer.ts';
import { expect, openApp, test } from '../fixtures.ts';
import { inPage } from '../lib.ts';
import { laneOps, seeded, settled, storedOps, verdict } from './harness.ts';

const msgs = (prefix: string, n: number, lanes: number) => laneOps('session', prefix, n, lanes);

/** The browser's session with the test API becomes `user`'s (its cookie, as a login page sets it), offline too. */
async function session(page: Page, user: string): Promise<void> {
  await page
    .context()
    .addCookies([{ name: 'session', value: encodeURIComponent(user), url: page.url(), sameSite: 'Lax' }]);
}

const hasSession = (req: PlannedRequest): boolean => /(?:^|;\s*)session=[^;]+/.test(req.headers['cookie'] ?? '');

const EXPIRED: Record<string, Fault> = {
  '401': json(401, { error: 'not signed in' }),
  '302': { status: 302, headers: { Location: '/login' } },
  '403': json(403, { error: 'session expired' }),
};

for (const [how, refusal] of Object.entries(EXPIRED)) {
  test(`session-expired-${how}: 30 ops in 3 lanes are held, at most one failed; all delivered in order after sign-in`, async ({
    page,
    server,
  }) => {
    test.setTimeout(120_000);
    const SCENARIO = `session-expired-${how}`;
    const started = Date.now();
    await openApp(page, server, 'defaults');
    // The API wants a session; the one the browser had has expired.
    server.plan = (req): Fault => (hasSession(req) ? 'pass' : refusal);
    const acked = await inPage(
      page,
      (ops) => Promise.all(ops.map((op) => window.ferry.enqueue(op))),
      msgs(`exp${how}`, 30, 3),
    );
    await expect
      .poll(async () => (await storedOps(page)).filter((o) => o.held?.startsWith('needs-auth')).length, {
        timeout: 30_000,
      })
      .toBeGreaterThan(0);
    // Every lane stays held: no op goes out until the session is back, and none fails but (for a 403) the first.
    await page.waitForTimeout(3_000);
    const held = await storedOps(page);
    const failed = held.filter((o) => o.status === 'failed');
    expect(
      failed.length,
      seeded(`failed while the session was expired: ${failed.map((o) => o.lastError?.message).join('; ')}`),
    ).toBeLessThanOrEqual(how === '403' ? 1 : 0);
    expect(
      held.filter((o) => o.status === 'done'),
      seeded('delivered without a session'),
    ).toEqual([]);
    const refused = server.received.length;
    expect(refused, 'requests while the session was expired (a few heads, then the hold)').toBeLessThanOrEqual(6);
    // The user signs in again; the app asks Ferry to try now.
    await session(page, 'alice');
    await page.evaluate(() => window.ferry.syncNow());
    await settled(page, acked, 60_000, SCENARIO);
    const stored = await storedOps(page);
    expect(
      stored.filter((o) => o.status !== 'done').map((o) => `${o.id}: ${o.status} ${o.lastError?.message ?? ''}`),
      seeded('not delivered after the sign-in'),
    ).toEqual([]);
    // A 403 fails its first op, which comes back after the sign-in: by then the next op of its lane was refused once.
    await verdict(SCENARIO, server, acked, stored, {
      orderBy: 'applied',
      extra: { refused, durationMs: Date.now() - started },
    });
  });
}

/** Opens a second tab of the app in the same browser (same worker, same cookies). */
async function secondTab(page: Page, flags: string): Promise<Page> {
  const other = await page.context().newPage();
  await other.goto(`${new URL(page.url()).origin}/?${flags}`);
  await other.evaluate(() => window.ferryReady);
  await other.waitForFunction(() => navigator.serviceWorker.controller !== null);
  return other;
}

const note = (text: string) => ({ kind: 'chaos.note', target: '/api/notes', lane: 'notes', payload: { tag: text } });
const appliedAs = (server: { applied: { body: unknown; user: string | null }[] }) =>
  server.applied.map((a) => `${(a.body as { tag: string }).tag} as ${a.user}`);

test("user-switch-bearer: alice's op queued offline is never applied as bob after a switch in another tab", async ({
  page,
  server,
}) => {
  test.setTimeout(120_000);
  server.sessions.tokens.set('ta', 'alice');
  server.sessions.tokens.set('tb', 'bob');
  await openApp(page, server, 'defaults&provider');
  const tab2 = await secondTab(page, 'defaults&provider');
  await page.evaluate(() => ((window.auth.token = 'ta'), window.users.setUser('alice')));
  await tab2.evaluate(() => ((window.auth.token = 'ta'), window.users.setUser('alice')));
  await page.context().setOffline(true);
  await inPage(page, (op) => window.ferry.enqueue(op), note('alice-1'));
  // Tab 2: alice signs out, bob signs in; the browser's refresh cookie is bob's now, so any token minted is bob's.
  await tab2.evaluate(() => window.users.signOut());
  await expect.poll(() => page.evaluate(() => window.users.user)).toBeNull();
  await page.evaluate(() => (window.auth.token = 'tb'));
  await tab2.evaluate(() => ((window.auth.token = 'tb'), window.users.setUser('bob')));
  await inPage(tab2, (op) => window.ferry.enqueue(op), note('bob-1'));
  await page.context().setOffline(false);
  await page.evaluate(() => window.ferry.syncNow());
  await expect.poll(() => appliedAs(server), { timeout: 30_000 }).toEqual(['bob-1 as bob']);
  // An unstamped enqueue in the tab that was signed out elsewhere is refused, not sent as nobody's.
  const refused = await page.evaluate(() =>
    window.ferry.enqueue({ kind: 'x', target: '/api/notes', payload: {} }).catch((e: { code?: string }) => e.code),
  );
  expect(refused).toBe('signed-out');
  // Alice is back (tab 2 switches again): her op goes, as her.
  await tab2.evaluate(() => window.users.signOut());
  await tab2.evaluate(() => ((window.auth.token = 'ta'), window.users.setUser('alice')));
  await expect.poll(() => appliedAs(server), { timeout: 30_000 }).toEqual(['bob-1 as bob', 'alice-1 as alice']);
  await tab2.close();
});

test("user-switch-cookie: with a cookie session, alice's op is refused as bob's (user-mismatch), held, and goes as alice later", async ({
  page,
  server,
}) => {
  test.setTimeout(120_000);
  // Credentials are the cookie: the provider hands over no header (an empty bearer is not a token).
  await openApp(page, server, 'defaults&provider');
  const tab2 = await secondTab(page, 'defaults&provider');
  await session(page, 'alice');
  await page.evaluate(() => window.users.setUser('alice'));
  await page.context().setOffline(true);
  await inPage(page, (op) => window.ferry.enqueue(op), note('alice-1'));
  // Still offline, the app signs bob in through its own screen (a new cookie) and never tells Ferry alice left.
  await session(tab2, 'bob');
  await tab2.evaluate(() => window.users.setUser('bob'));
  await inPage(tab2, (op) => window.ferry.enqueue(op), note('bob-1'));
  await page.context().setOffline(false);
  await tab2.evaluate(() => window.ferry.syncNow());
  await expect.poll(() => appliedAs(server), { timeout: 30_000 }).toEqual(['bob-1 as bob']);
  await expect
    .poll(
      async () => (await storedOps(page)).find((o) => (o.payload as { tag: string }).tag === 'alice-1')?.held ?? '',
      { timeout: 30_000 },
    )
    .toContain('needs-auth');
  const mismatches = server.received.filter((r) => r.outcome === 403 && (r.body as { tag?: string }).tag === 'alice-1');
  expect(mismatches.length, 'alice-1 reached the API with bob’s cookie and was refused').toBeGreaterThan(0);
  // Alice signs in again: her op goes, as her.
  await session(page, 'alice');
  await page.evaluate(() => window.users.setUser('alice'));
  await page.evaluate(() => window.ferry.syncNow());
  await expect.poll(() => appliedAs(server), { timeout: 30_000 }).toEqual(['bob-1 as bob', 'alice-1 as alice']);
  await tab2.close();
});
