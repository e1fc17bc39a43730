/**
 * Users and credentials in a real browser profile: one user's ops never go
 * with another's credentials, tokens stay out of IndexedDB, and two apps on
 * one origin keep their queues and credentials apart.
 */
import type { Page } from '@playwright/test';
import { expect, openApp, setOnline, test } from './fixtures.ts';
import { enqueue, message, whenDone } from './lib.ts';

const signIn = (page: Page, user: string, token: string): Promise<void> =>
  page.evaluate(
    async ([user, token]) => {
      await window.users.setUser(user);
      await window.users.setCredentials(user, { headers: { Authorization: `Bearer ${token}` } });
    },
    [user, token] as const,
  );

/** Every record of every object store of database `name`, as one string. */
const dumpDatabase = (page: Page, name: string): Promise<string> =>
  page.evaluate(async (name) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open(name);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    const all: unknown[] = [];
    for (const store of Array.from(db.objectStoreNames)) {
      const tx = db.transaction(store, 'readonly');
      const req = tx.objectStore(store).getAll();
      all.push(store, await new Promise((resolve) => (req.onsuccess = () => resolve(req.result))));
    }
    db.close();
    return JSON.stringify(all);
  }, name);

const authOf = (server: { received: readonly { body?: unknown; headers?: Readonly<Record<string, string>> }[] }) =>
  server.received.map((r) => `${(r.body as { n: number }).n}:${r.headers?.['authorization'] ?? '-'}`);

// With the test worker's flags, and with the host exactly as an app gets it (`defaults`).
for (const flags of ['', 'defaults']) {
  test(`an account switch in one profile: A's kept ops never go with B's credentials, and go with A's once A is back${flags ? ` (${flags})` : ''}`, async ({
    page,
    server,
  }) => {
    await openApp(page, server, flags);
    await setOnline(page, false);
    await signIn(page, 'alice', 'alice-token');
    const a = [await enqueue(page, message(1)), await enqueue(page, message(2))];
    expect(await page.evaluate(() => window.users.signOut())).toEqual({ unsent: 2, discarded: 0 });

    await signIn(page, 'bob', 'bob-token');
    const b = await enqueue(page, message(3));
    await setOnline(page, true);
    expect(await whenDone(page, b)).toMatchObject({ status: 'done', user: 'bob' });
    // Alice's are held (her lane's head; the op behind it waits in her lane): not sent, nothing spent.
    const held = await page.evaluate(() => window.ferry.list({ user: 'alice' }));
    expect(held.map((o) => [o.status, o.attempt, typeof o.held])).toEqual([
      ['pending', 0, 'string'],
      ['pending', 0, 'undefined'],
    ]);
    expect(authOf(server)).toEqual(['3:Bearer bob-token']);

    await page.evaluate(() => window.users.signOut());
    await signIn(page, 'alice', 'alice-token');
    for (const id of a) expect(await whenDone(page, id)).toMatchObject({ status: 'done', attempt: 1 });
    expect(authOf(server)).toEqual(['3:Bearer bob-token', '1:Bearer alice-token', '2:Bearer alice-token']);

    // The tokens were handed to the worker, never written into the database.
    const stored = await dumpDatabase(page, 'ferry');
    expect(stored).toContain('"user":"alice"');
    expect(stored).not.toContain('alice-token');
    expect(stored).not.toContain('bob-token');
  });
}

test('two apps with different names on one origin deliver only their own ops, each with its own credentials', async ({
  context,
  server,
}) => {
  const one = await context.newPage();
  const two = await context.newPage();
  await openApp(one, server, 'apps=app1,app2&name=app1');
  await openApp(two, server, 'apps=app1,app2&name=app2');
  // The same user id in both apps, with each app's own token.
  await signIn(one, 'u', 'app1-token');
  await signIn(two, 'u', 'app2-token');
  const first = await enqueue(one, message(1));
  const second = await enqueue(two, message(2));
  expect(await whenDone(one, first)).toMatchObject({ status: 'done' });
  expect(await whenDone(two, second)).toMatchObject({ status: 'done' });
  expect(authOf(server).sort()).toEqual(['1:Bearer app1-token', '2:Bearer app2-token']);
  // Each app sees its own queue only.
  expect((await one.evaluate(() => window.ferry.list())).map((o) => o.id)).toEqual([first]);
  expect((await two.evaluate(() => window.ferry.list())).map((o) => o.id)).toEqual([second]);
  const names = await one.evaluate(async () => (await indexedDB.databases()).map((d) => d.name).sort());
  expect(names).toEqual(expect.arrayContaining(['ferry-app1', 'ferry-app2']));
});

test('shipped defaults: a 401 gets fresh credentials from the page and is sent again at once, spending no attempt; a refresh that fails holds, then delivers', async ({
  page,
  server,
}) => {
  // The API takes only the current token.
  let valid = 'new';
  server.plan = (req) => (req.headers?.['authorization'] === `Bearer ${valid}` ? 'pass' : { status: 401 });
  await openApp(page, server, 'defaults&provider');
  await page.evaluate(() => (window.auth.token = 'old'));
  await page.evaluate(() => window.users.setUser('alice'));
  // The token the worker holds is stale; the provider now hands out the new one.
  await page.evaluate(() => (window.auth.token = 'new'));
  const first = await enqueue(page, message(1));
  expect(await whenDone(page, first)).toMatchObject({ status: 'done', attempt: 1 });
  expect(authOf(server)).toEqual(['1:Bearer old', '1:Bearer new']);

  // The token is revoked and the auth server is down: the op is held, not failed, nothing spent.
  valid = 'newer';
  await page.evaluate(() => (window.auth.failing = true));
  const second = await enqueue(page, message(2));
  // Held once no new credentials came within 5 s of the refusal.
  await expect
    .poll(async () => (await page.evaluate((id) => window.ferry.get(id), second))?.held, { timeout: 15_000 })
    .toEqual(expect.any(String));
  expect(await page.evaluate((id) => window.ferry.get(id), second)).toMatchObject({
    status: 'pending',
    attempt: 0,
    lastError: { status: 401 },
  });
  // The auth server is back; the page is online again and hands over the new token.
  await page.evaluate(() => {
    window.auth = { ...window.auth, failing: false, token: 'newer' };
    dispatchEvent(new Event('online'));
  });
  expect(await whenDone(page, second)).toMatchObject({ status: 'done', attempt: 1 });
  expect(authOf(server).slice(2)).toEqual(['2:Bearer new', '2:Bearer newer']);
});
