import type { ServerMessage } from './api.ts';
import { getServerMessages } from './api.ts';
import { clockTime, h } from './dom.ts';

const SHOWN = 12;

/** What the server has stored (`GET /api/messages`), newest last; refreshed on demand and every few seconds. */
export function serverPanel(
  list: HTMLElement,
  count: HTMLElement,
  onMessages: (messages: ServerMessage[]) => void = () => {},
): () => void {
  let busy = false;
  let again = false;
  const render = (messages: ServerMessage[]): void => {
    onMessages(messages);
    count.textContent = `${messages.length} stored`;
    const last = messages.slice(-SHOWN);
    list.replaceChildren(
      ...last.map((m) =>
        h(
          'li',
          { 'data-seq': m.seq },
          h('span', { class: 'seq' }, `#${m.seq}`),
          h('span', { class: 'text' }, m.text),
          h('span', { class: 'author' }, m.author ?? 'anonymous'),
          h('time', {}, clockTime(m.receivedAt)),
        ),
      ),
    );
    if (messages.length === 0) list.append(h('li', { class: 'empty' }, 'The server has no messages yet.'));
  };
  const refresh = (): void => {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    getServerMessages()
      .then(render, () => {
        count.textContent = 'unreachable';
      })
      .finally(() => {
        busy = false;
        if (again) {
          again = false;
          refresh();
        }
      });
  };
  setInterval(refresh, 3_000);
  refresh();
  return refresh;
}
