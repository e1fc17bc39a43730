/**
 * A model-based test of users across tabs: random sign-ins, sign-outs (whose
 * broadcast a tab may miss), credentials given by up-to-date and stale tabs,
 * enqueues by either user, sends and outages. The browser has one session
 * cookie, whoever signed in last; a tab's provider mints its token from that
 * cookie, whoever the tab believes is signed in. The invariants: the API
 * never applies an op as another user (it checks `Ferry-User` against the
 * token's user, as @ferry/server's `user` option does, and Ferry holds what it
 * refuses); no op fails for it; and once each user signs in again with their
 * own token, every op is delivered.
 *
 * fast-check prints the seed and the shrunk steps of a failure; set
 * `FERRY_PROPERTY_RUNS` for more runs.
 */
import type { Operation } from '@ferry/core';
import { FerryError } from '@ferry/core';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import type { FetchLike } from './index.ts';
import { setup } from './testSupport.ts';

type Env = Record<string, string | undefined>;
const env: Env = (globalThis as { process?: { env: Env } }).process?.env ?? {};
const USERS = ['alice', 'bob'] as const;
type User = (typeof USERS)[number];

type Step =
  | { t: 'signIn'; tab: number; user: User }
  | { t: 'signOut'; tab: number; told: boolean }
  /** An account switch in one tab: its user signs out (the other tab may miss it), the other user signs in. */
  | { t: 'switch'; tab: number; told: boolean }
  | { t: 'provide'; tab: number }
  | { t: 'enqueue'; tab: number }
  | { t: 'net'; online: boolean }
  | { t: 'wake' };

const tab = fc.nat(1);
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ t: fc.constant('signIn' as const), tab, user: fc.constantFrom(...USERS) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('signOut' as const), tab, told: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('switch' as const), tab, told: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('provide' as const), tab }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('enqueue' as const), tab }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('net' as const), online: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('wake' as const) }) },
);

interface Tab {
  user: User | null;
  epoch: number | undefined;
}

/**
 * An API whose tokens name their user (`tok-alice-3`). It refuses an op whose `Ferry-User` names
 * another user than the token's; `opUser` is the op's own (the payload carries it, for the check).
 */
function api() {
  const seen: { opUser: string; tokenUser: string | null; applied: boolean }[] = [];
  const fetch: FetchLike = async (_url, init) => {
    const headers = new Headers(init.headers);
    const tokenUser = /^Bearer tok-(\w+)-\d+$/.exec(headers.get('authorization') ?? '')?.[1] ?? null;
    const named = headers.get('ferry-user');
    const opUser = (JSON.parse(String(init.body)) as { user: string }).user;
    if (tokenUser === null) return new Response(null, { status: 401 });
    const applied = named === null || decodeURIComponent(named) === tokenUser;
    seen.push({ opUser, tokenUser, applied });
    if (applied) return new Response(null, { status: 201 });
    return Response.json(
      { type: 'about:blank', status: 403, code: 'user-mismatch', detail: 'another user' },
      { status: 403, headers: { 'content-type': 'application/problem+json' } },
    );
  };
  return { fetch, seen };
}

/**
 * How a sign-out in a tab meets the browser's session: `any` clears the cookie whoever holds it (a logout
 * endpoint does, even when the tab's idea of who is signed in is stale); `own` only when the user signing
 * out holds it, so that a new user's session always follows a sign-out Ferry was told of.
 */
type Logout = 'any' | 'own';

async function run(steps: readonly Step[], logout: Logout): Promise<void> {
  const server = api();
  const retry = { jitter: false, baseDelayMs: 0, maxDelayMs: 0 };
  const { host, call, net } = setup(undefined, { transport: { fetch: server.fetch, timeoutMs: 300 }, retry });
  const tabs: Tab[] = [
    { user: null, epoch: undefined },
    { user: null, epoch: undefined },
  ];
  /** The browser's session cookie: whoever signed in last, until a sign-out. */
  let cookie: User | null = null;
  let minted = 0;
  const queued: Operation[] = [];
  const signIn = async (t: Tab, user: User): Promise<void> => {
    // One session per browser: another user signs in only after a sign-out.
    if (cookie !== null && cookie !== user) return;
    cookie = user;
    t.user = user;
    t.epoch = (await call<{ epoch: number }>({ type: 'signIn', user })).epoch;
  };
  const signOut = async (t: Tab, told: boolean): Promise<void> => {
    const who = t.user;
    if (who === null) return;
    await call({ type: 'signOut', user: who, discard: false });
    if (logout === 'any' || cookie === who) cookie = null;
    t.user = null;
    // The other tab hears of it unless its broadcast was lost.
    for (const other of tabs) if (told && other.user === who) other.user = null;
  };
  try {
    for (const s of steps) {
      const t = tabs['tab' in s ? s.tab : 0] as Tab;
      switch (s.t) {
        case 'signIn':
          await signIn(t, s.user);
          break;
        case 'signOut':
          await signOut(t, s.told);
          break;
        case 'switch': {
          const was = t.user;
          if (was === null) break;
          await signOut(t, s.told);
          await signIn(t, was === 'alice' ? 'bob' : 'alice');
          break;
        }
        case 'provide': {
          // A stale tab still believes its user is signed in; its token comes from whoever holds the cookie.
          if (t.user === null || cookie === null) break;
          const headers = { Authorization: `Bearer tok-${cookie}-${++minted}` };
          await call({ type: 'setCredentials', user: t.user, credentials: { headers }, epoch: t.epoch }).catch(
            (err: unknown) => {
              if (!(err instanceof FerryError && err.code === 'signed-out')) throw err;
            },
          );
          break;
        }
        case 'enqueue':
          if (t.user === null) break;
          queued.push(
            await call<Operation>({
              type: 'enqueue',
              op: { kind: 'note', target: '/api/notes', payload: { n: queued.length, user: t.user }, user: t.user },
            }),
          );
          break;
        case 'net':
          net.online = s.online;
          break;
        case 'wake':
          await host.wake();
          break;
      }
      const wrong = server.seen.filter((x) => x.applied && x.opUser !== x.tokenUser);
      expect(wrong, 'an op applied as another user').toEqual([]);
      // Every change of session went through a sign-out the worker saw: then no op is even sent with another's token.
      if (logout === 'own')
        expect(
          server.seen.filter((x) => x.opUser !== x.tokenUser),
          'an op sent with another user’s token',
        ).toEqual([]);
    }
    // Each user signs in afresh with their own token: everything queued goes, as its own user.
    net.online = true;
    for (const user of USERS) {
      const { epoch } = await call<{ epoch: number }>({ type: 'signIn', user });
      await call({
        type: 'setCredentials',
        user,
        credentials: { headers: { Authorization: `Bearer tok-${user}-${++minted}` } },
        epoch,
      });
    }
    await host.wake();
    const ops = await call<Operation[]>({ type: 'list', query: { limit: 10_000 } });
    expect(
      ops.filter((o) => o.status !== 'done').map((o) => `${o.id} ${o.status}: ${o.held ?? o.lastError?.message ?? ''}`),
    ).toEqual([]);
    expect(ops).toHaveLength(queued.length);
    expect(server.seen.filter((x) => x.applied && x.opUser !== x.tokenUser)).toEqual([]);
  } finally {
    await host.close();
  }
}

const steps = fc.array(step, { minLength: 20, maxLength: 60, size: 'max' });
const runs = Number(env['FERRY_PROPERTY_RUNS'] ?? 200);

it('no op is sent with another user’s token when every session change follows a sign-out Ferry saw (property)', async () => {
  await fc.assert(
    fc.asyncProperty(steps, (s) => run(s, 'own')),
    { numRuns: runs },
  );
}, 60_000);

it('no op is applied as another user, even when a stale tab mints the next user’s token as its own (property)', async () => {
  await fc.assert(
    fc.asyncProperty(steps, (s) => run(s, 'any')),
    { numRuns: runs },
  );
}, 60_000);
