import { clockTime, h } from './dom.ts';
import { messageState } from './messageState.ts';
import type { OpMirror, OpRow } from './OpMirror.ts';

export interface ChatMessage {
  id: string;
  text: string;
  conversation: string;
  created_at: string;
}

const asMessage = (row: OpRow): ChatMessage | undefined => {
  const p = row.payload as Partial<ChatMessage> | undefined;
  return p && typeof p.text === 'string' ? (p as ChatMessage) : undefined;
};

/** What the server saw once it stored the message; until then, who queued it here. */
function authorLine(user: string | undefined, seen: string | null | undefined): string {
  if (seen !== undefined) return `by ${seen ?? 'anonymous'} (as the server verified)`;
  return `queued by ${user ?? 'nobody'}`;
}

/** The number the server gave the message, from the answer Ferry kept with the done op (no extra request). */
function serverSeq(row: OpRow): number | undefined {
  const seq = (row.answer?.body as { message?: { seq?: unknown } } | undefined)?.message?.seq;
  return typeof seq === 'number' ? seq : undefined;
}

const LABELS = {
  pending: 'pending',
  sending: 'sending…',
  sent: 'sent',
  retrying: 'retrying',
  failed: 'failed',
} as const;

/** The conversation: every `message.send` op of its lane, oldest first, each with its delivery state. */
/** What the chat can do to a message not sent yet. */
export interface ChatActions {
  edit(id: string, message: ChatMessage): void;
  remove(id: string): void;
}

/**
 * `authors`: message id → the author the server verified from the token that came with it (null: anonymous).
 */
export function renderChat(
  list: HTMLElement,
  mirror: OpMirror,
  conversation: string,
  online: boolean,
  authors: ReadonlyMap<string, string | null> = new Map(),
  actions?: ChatActions,
): void {
  const now = Date.now();
  const rows = [...mirror.ops.values()]
    .filter((r) => r.kind === 'message.send' && r.lane === conversation)
    .map((r) => ({ r, m: asMessage(r) }))
    .filter((x): x is { r: OpRow; m: ChatMessage } => x.m !== undefined)
    .sort((a, b) => a.m.created_at.localeCompare(b.m.created_at) || a.r.seq - b.r.seq);
  const items = rows.map(({ r, m }) => {
    const view = messageState(r, now, online);
    return h(
      'li',
      { class: `msg ${view.state}`, 'data-id': r.id, 'data-state': view.state },
      h('div', { class: 'bubble' }, h('span', { class: 'text' }, m.text)),
      h('div', { class: 'author', 'data-author': authors.get(m.id) ?? '' }, authorLine(r.user, authors.get(m.id))),
      serverSeq(r) !== undefined &&
        h(
          'span',
          { class: 'server-id', title: "the server's id for it, from the answer Ferry kept" },
          `#${serverSeq(r)}`,
        ),
      h(
        'div',
        { class: 'meta' },
        h('time', {}, clockTime(Date.parse(m.created_at))),
        h('span', { class: `badge ${view.state}` }, LABELS[view.state]),
        view.detail && h('span', { class: 'detail', title: view.detail }, view.detail),
        // Not sent yet: it can still be edited or removed (the worker refuses once it is on the wire).
        actions &&
          r.status === 'pending' &&
          h('button', { type: 'button', class: 'ghost edit', onclick: () => actions.edit(r.id, m) }, 'edit'),
        actions &&
          r.status === 'pending' &&
          h('button', { type: 'button', class: 'ghost remove', onclick: () => actions.remove(r.id) }, 'remove'),
      ),
    );
  });
  if (items.length === 0) items.push(h('li', { class: 'empty' }, 'No messages yet. Say hello — then try it offline.'));
  const stick = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  list.replaceChildren(...items);
  if (stick) list.scrollTop = list.scrollHeight;
}
