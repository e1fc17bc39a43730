import type { FerryClient } from '@ferry/client';
import { clockTime, h } from './dom.ts';
import type { OpMirror, OpRow } from './OpMirror.ts';

const textOf = (row: OpRow): string => {
  const p = row.payload as { text?: unknown } | undefined;
  return typeof p?.text === 'string' ? p.text : row.id;
};

/** Failed ops, each with Retry and Remove: a dead letter is the user's to decide. */
export function renderFailed(
  list: HTMLElement,
  mirror: OpMirror,
  client: FerryClient,
  onError: (err: unknown) => void,
): void {
  const failed = [...mirror.ops.values()].filter((r) => r.status === 'failed').sort((a, b) => a.seq - b.seq);
  const act = (fn: () => Promise<unknown>) => (e: Event) => {
    (e.currentTarget as HTMLButtonElement).disabled = true;
    fn().catch(onError);
  };
  list.replaceChildren(
    ...failed.map((r) =>
      h(
        'li',
        { class: 'failed-op', 'data-id': r.id },
        h('div', { class: 'op-text' }, textOf(r)),
        h('div', { class: 'reason' }, r.lastError?.message ?? 'failed'),
        h(
          'div',
          { class: 'actions' },
          h('button', { type: 'button', class: 'retry', onclick: act(() => client.retry(r.id)) }, 'Retry'),
          h('button', { type: 'button', class: 'remove', onclick: act(() => client.remove(r.id)) }, 'Remove'),
        ),
      ),
    ),
  );
  if (failed.length === 0) list.append(h('li', { class: 'empty' }, 'Nothing failed.'));
}

/** Counts by status, straight from `stats()`. */
export function renderStats(el: HTMLElement, stats: Record<string, number>): void {
  const labels: [string, string][] = [
    ['pending', 'pending'],
    ['inflight', 'sending'],
    ['failed', 'failed'],
    ['done', 'sent'],
  ];
  el.replaceChildren(
    ...labels.map(([k, label]) =>
      h('span', { class: `stat ${k}`, 'data-status': k }, h('b', {}, String(stats[k] ?? 0)), ` ${label}`),
    ),
  );
}

export const lastSendText = (mirror: OpMirror): string =>
  mirror.lastSend
    ? `${mirror.lastSend.ok ? 'ok' : 'failed'} at ${clockTime(mirror.lastSend.at)}${mirror.lastSend.ok ? '' : ` — ${mirror.lastSend.message}`}`
    : 'none since this page opened';
