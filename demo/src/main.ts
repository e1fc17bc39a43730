/**
 * The demo chat: messages are Ferry ops in the lane `general`, queued by the
 * service worker and delivered when they can be. Everything on the page is
 * rendered from the worker's own state (`list`, `stats`, `subscribe`).
 */
import { createFerryClient } from '@ferry/client';
import { createFerryIdentity } from '@ferry/client/identity';
import { createFerryStatus } from '@ferry/client/status';
import { mountFerryDevtools } from '@ferry/devtools';
import type { Faults } from './api.ts';
import { login } from './api.ts';
import type { ChatActions } from './ChatView.ts';
import { renderChat } from './ChatView.ts';
import { wireControls } from './controls.ts';
import { byId, clockTime, coalesce, h } from './dom.ts';
import { OpMirror } from './OpMirror.ts';
import { lastSendText, renderFailed, renderStats } from './OutboxPanel.ts';
import { serverPanel } from './serverPanel.ts';
import type {} from './window.ts';

/** Each conversation is one lane: its messages go out in order, and the others do not wait for it. */
const CONVERSATIONS = ['general', 'random', 'ops'] as const;
let conversation: string = CONVERSATIONS[0];
const params = new URLSearchParams(location.search);
const swQuery = new URLSearchParams([...params].filter(([k]) => k === 'fast' || k === 'attempts')).toString();

// The worker asks for a user's credentials when it has none or the server refused them: a fresh token from the demo server.
const client = createFerryClient();
const users = createFerryIdentity(client, {
  credentials: async (user) => {
    const { token, expiresAt } = await login(user);
    return { headers: { Authorization: `Bearer ${token}` }, expiresAt };
  },
});
const status = createFerryStatus(client);
const authors = new Map<string, string | null>();
const mirror = new OpMirror(client);
let faults: Faults | undefined;

const input = byId<HTMLInputElement>('text');
const list = byId('messages');
const refreshServer = serverPanel(byId('server'), byId('server-count'), (messages) => {
  for (const m of messages) if (m.id !== undefined) authors.set(m.id, m.author ?? null);
  render();
});
const showError = (err: unknown): void => {
  byId('f-status').textContent = err instanceof Error ? err.message : String(err);
};

function renderNetwork(): void {
  const browser = byId('pill-browser');
  browser.textContent = `browser: ${navigator.onLine ? 'online' : 'offline'}`;
  browser.dataset.ok = String(navigator.onLine);
  const server = byId('pill-server');
  server.textContent = `server: ${!faults ? 'unreachable' : faults.offline ? 'outage (dropping connections)' : 'up'}`;
  server.dataset.ok = String(!!faults && !faults.offline);
  const last = byId('pill-last');
  last.textContent = `last send: ${lastSendText(mirror)}`;
  last.title = last.textContent;
  last.dataset.ok = mirror.lastSend ? String(mirror.lastSend.ok) : 'unknown';
}

/** The status bar: the client's status snapshot, kept current from the change feed (no request per change). */
function renderStatus(): void {
  const s = status();
  renderStats(byId('stats'), s.counts);
  const parts = [
    s.drain ? `syncing ${s.drain.done} of ${s.drain.total}` : '',
    s.held > 0 ? `${s.held} waiting for sign-in` : '',
    s.lastSyncedAt !== null ? `last synced ${clockTime(s.lastSyncedAt)}` : '',
  ].filter(Boolean);
  byId('stats').append(h('span', { class: 'status-line muted', id: 'status-line' }, parts.join(' · ')));
}

const render = coalesce(() => {
  renderChat(list, mirror, conversation, navigator.onLine, authors, actions);
  renderConversations();
  renderFailed(byId('failed'), mirror, client, showError);
  renderNetwork();
});

const actions: ChatActions = {
  edit: (id, message) => {
    const text = prompt('Edit the message (it has not been sent yet)', message.text)?.trim();
    if (text) client.update(id, { payload: { ...message, text } }).catch(showError);
  },
  remove: (id) => void client.remove(id).catch(showError),
};

/** The sidebar: every conversation with its unsent count (queued, on the wire or failed), from the page's copy of the outbox. */
function renderConversations(): void {
  const lanes = status().lanes;
  const unsent = new Map(Object.entries(lanes).map(([lane, c]) => [lane, c.pending + c.inflight + c.failed]));
  byId('conversations').replaceChildren(
    ...CONVERSATIONS.map((name) =>
      h(
        'button',
        {
          type: 'button',
          class: `conv${name === conversation ? ' current' : ''}`,
          'data-lane': name,
          onclick: () => {
            conversation = name;
            byId('conv-title').textContent = `# ${name}`;
            input.placeholder = `Message #${name}`;
            render();
          },
        },
        `# ${name}`,
        (unsent.get(name) ?? 0) > 0 &&
          h('span', { class: 'unsent', title: 'not delivered yet' }, String(unsent.get(name))),
      ),
    ),
  );
}

let lastCreated = 0;
async function send(text: string): Promise<void> {
  const id = crypto.randomUUID();
  // Strictly increasing, so that messages typed within one millisecond still sort in typing order.
  lastCreated = Math.max(Date.now(), lastCreated + 1);
  const message = { id, text, conversation, created_at: new Date(lastCreated).toISOString() };
  await client.enqueue({ id, kind: 'message.send', target: '/api/messages', lane: conversation, payload: message });
}

/** The sign-in switch: who is signed in decides whose credentials go with the messages queued from now on. */
async function wireSignIn(): Promise<void> {
  const select = byId<HTMLSelectElement>('user');
  const note = byId('signin-note');
  const apply = async (next: string | null): Promise<void> => {
    const before = users.user;
    if (before !== null) {
      const { unsent } = await users.signOut();
      note.textContent = unsent > 0 ? `${unsent} of ${before}'s messages wait for ${before}` : '';
    }
    await users.setUser(next);
    localStorage.setItem('demo-user', next ?? '');
  };
  select.value = localStorage.getItem('demo-user') ?? '';
  await apply(select.value || null);
  select.addEventListener('change', () => void apply(select.value || null).catch(showError));
}

function wireComposer(): void {
  const buttons = [byId<HTMLButtonElement>('send'), byId<HTMLButtonElement>('burst')];
  for (const el of [input, ...buttons]) el.disabled = false;
  byId<HTMLFormElement>('composer').addEventListener('submit', (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = '';
    send(text).catch(showError);
  });
  byId('burst').addEventListener('click', () => {
    const base = Date.now() % 10_000;
    // One after another: the lane's order is the order enqueue resolves in.
    void (async () => {
      for (let i = 1; i <= 10; i++) await send(`burst ${base}·${i}`);
    })().catch(showError);
  });
  input.focus();
}

async function boot(): Promise<void> {
  const registration = await client.register(`/sw.js${swQuery ? `?${swQuery}` : ''}`);
  const showEnv = (storage: string): void => {
    byId('env').textContent =
      `Service worker active · Background Sync ${registration && 'sync' in registration ? 'available' : 'not available (the page kicks the worker)'} · storage ${storage}`;
  };
  // Ask the browser not to evict the queue under storage pressure (it may still say no). Not
  // awaited: Firefox answers only once the user answers its permission prompt, and until then
  // the page must work (e2e/engines: the demo never became usable in Firefox while it waited).
  showEnv('persistence asked, no answer yet');
  (navigator.storage?.persist?.() ?? Promise.resolve(false)).then(
    (persisted) => showEnv(persisted ? 'persistent' : 'best-effort (may be evicted)'),
    () => showEnv('best-effort (may be evicted)'),
  );

  mirror.onChange(() => render());
  status.subscribe(() => {
    renderStatus();
    renderConversations();
  });
  mirror.onChange(() => {
    if (mirror.feed[0]?.type === 'done') refreshServer();
  });
  await mirror.start();
  // The queue, each op's WAL history, pauses: the DevTools panel, in the side panel. The demo is for developers,
  // so it shows it in its build; an app mounts it under `import.meta.env.DEV` and ships none of it.
  mountFerryDevtools(client, { parent: byId('devtools'), embedded: true });
  await wireSignIn();
  wireComposer();
  addEventListener('online', render);
  addEventListener('offline', render);
  // Countdowns to the next attempt.
  setInterval(() => {
    if ([...mirror.ops.values()].some((r) => r.status === 'pending')) render();
  }, 1_000);
  void wireControls((f) => {
    faults = f;
    renderNetwork();
  });
}

render();
window.demo = {
  client,
  ready: boot().catch((err: unknown) => {
    showError(err);
    throw err;
  }),
};
