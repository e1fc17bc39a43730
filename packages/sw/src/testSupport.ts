/**
 * A host driven through its page protocol, with the real HttpTransport over a
 * fake fetch that plays an API checking bearer tokens: the users and
 * credentials suites share it.
 */
import type { Operation } from '@ferry/core';
import { FerryError, MemoryStore } from '@ferry/core';
import { FerryHost } from './FerryHost.ts';
import { credentials } from './credentials/index.ts';
import type { FetchLike } from './http/HttpTransport.ts';
import type { FerryHostOptions } from './options.ts';
import type { Reply } from '@ferry/core/protocol';
import { TEST_ORIGIN, testChannel, testPlatform } from './testing/index.ts';

export const ORIGIN = TEST_ORIGIN;
export const API = 'https://api.example';

export interface Seen {
  url: string;
  auth: string | null;
  credentials: RequestCredentials | undefined;
  body: unknown;
}

/**
 * An API that accepts the tokens in `valid` (token → user) and answers 401
 * to any other; `forbid` answers 403 to that text.
 */
export function api(valid: Map<string, string>, forbid = '') {
  const seen: Seen[] = [];
  const fetch: FetchLike = async (url, init) => {
    const auth = new Headers(init.headers).get('authorization');
    const body = JSON.parse(String(init.body)) as { text?: string };
    seen.push({ url, auth, credentials: init.credentials, body });
    if (body.text === forbid) return new Response('not yours', { status: 403 });
    const token = auth?.replace(/^Bearer /, '') ?? '';
    return new Response(null, { status: valid.has(token) ? 201 : 401 });
  };
  return { fetch, seen };
}

export function setup(
  valid = new Map([
    ['ta', 'alice'],
    ['tb', 'bob'],
  ]),
  more: FerryHostOptions = {},
  store = new MemoryStore(),
) {
  const server = api(valid, 'forbidden');
  const ch = testChannel();
  const net = { online: true };
  const host = new FerryHost({
    storage: { store: async () => store },
    transport: { fetch: server.fetch, timeoutMs: 300 },
    delivery: { leaseMs: 1000 },
    allowedOrigins: [API],
    retry: { jitter: false },
    logger: { level: 'silent' },
    credentials: credentials(),
    ...more,
    platform: testPlatform({ isOnline: () => net.online, channel: () => ch, ...more.platform }),
  });
  let n = 0;
  /** One request through the protocol; resolves with its result or rejects with its FerryError. */
  const call = async <T = unknown>(body: Record<string, unknown>): Promise<T> => {
    const replies: Reply[] = [];
    await host.receive(
      { ferry: true, v: 1, id: `r${++n}`, ...body },
      { postMessage: (m: Reply) => void replies.push(m) },
    );
    const r = replies[0];
    if (!r) throw new Error('no reply');
    if (!r.ok) throw FerryError.from(r.error);
    return r.result as T;
  };
  const enqueue = (text: string, user?: string, target = '/api/messages') =>
    call<Operation>({
      type: 'enqueue',
      op: { kind: 'message.send', target, payload: { text }, lane: 'chat', ...(user && { user }) },
    });
  const byText = () => server.seen.map((s) => `${(s.body as { text: string }).text}:${s.auth ?? '-'}`);
  return { host, store, server, ch, net, call, enqueue, byText };
}

export const asked = (ch: { sent: unknown[] }) =>
  ch.sent.filter((m) => (m as { type?: string }).type === 'credentials-needed');

/** Every record of every store (ops, WAL, quarantine, meta) as one string, to search for a token. */
export function everything(store: MemoryStore): string {
  const { ops, wal, quarantine, meta } = store.data;
  return JSON.stringify([[...ops.entries()], [...wal.entries()], quarantine, [...(meta ?? new Map()).entries()]]);
}

export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return err instanceof FerryError ? err.code : `not a FerryError: ${String(err)}`;
  }
  return 'resolved';
}
