import { expect, openDemo, say, setOnline, test } from './fixtures.ts';

test("the sign-in switch: each message goes with its author's token, and the server stores the author it verified", async ({
  page,
  demo,
}) => {
  await openDemo(page, demo);
  const user = page.locator('#user');
  const authors = async () => (await demo.server.messages()).map((e) => [String(e.message.text), e.message.author]);

  // Offline, alice writes, signs out, and bob writes: nobody can get a token now.
  await setOnline(page, false);
  await user.selectOption('alice');
  await say(page, 'from alice');
  await user.selectOption('bob');
  await expect(page.locator('#signin-note')).toHaveText("1 of alice's messages wait for alice");
  await say(page, 'from bob');

  // Back online: bob is signed in, so bob's message goes, with bob's token; alice's waits for her.
  await setOnline(page, true);
  await expect.poll(authors).toEqual([['from bob', 'bob']]);
  const alice = page.locator('#messages .msg', { hasText: 'from alice' });
  await expect(alice.locator('.detail')).toHaveText('waiting for its author to sign in');

  await user.selectOption('alice');
  await expect.poll(authors).toEqual([
    ['from bob', 'bob'],
    ['from alice', 'alice'],
  ]);
  await expect(alice.locator('.author')).toHaveText('by alice (as the server verified)');
  // Anonymous again: a message goes without a token and is stored as anonymous.
  await user.selectOption('');
  await say(page, 'from nobody');
  await expect.poll(authors).toEqual([
    ['from bob', 'bob'],
    ['from alice', 'alice'],
    ['from nobody', null],
  ]);
});
