import type { FerryClient } from '@ferry/client';
import type { ChangeSummary } from '@ferry/core/protocol';
import { clockTime, h } from './dom.ts';
import type { OpMirror, OpRow } from './OpMirror.ts';

const textOf = (row: OpRow): string => {
  const p = row.payload as { text?: unknown } | undefined;
  return typeof p?.text === 'string' ? p.text : row.id;
};

const short = (id: string): string => (id.length > 8 ? `${id.slice(0, 8)}…` : id);

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

/** The queue: ops not yet delivered, in lane order, with attempts and the last error. */
export function renderQueue(table: HTMLTableSectionElement, mirror: OpMirror): void {
  const queued = [...mirror.ops.values()]
    .filter((r) => r.status === 'pending' || r.status === 'inflight')
    .sort((a, b) => a.seq - b.seq);
  const now = Date.now();
  table.replaceChildren(
    ...queued.map((r) =>
      h(
        'tr',
        { 'data-id': r.id, 'data-status': r.status },
        h('td', { class: 'mono' }, short(r.id)),
        h('td', {}, r.lane),
        h('td', {}, h('span', { class: `st ${r.status}` }, r.status)),
        h('td', { class: 'num' }, String(r.attempt)),
        h(
          'td',
          { class: 'mono' },
          r.status === 'pending' && r.nextAttemptAt > now ? `+${Math.ceil((r.nextAttemptAt - now) / 1000)} s` : '—',
        ),
        h('td', { class: 'err', title: r.lastError?.message ?? '' }, r.lastError?.message ?? ''),
      ),
    ),
  );
  if (queued.length === 0)
    table.append(h('tr', {}, h('td', { colspan: 6, class: 'empty' }, 'The outbox is empty: everything is delivered.')));
}

/** The change feed: each committed change as the worker broadcast it, newest first. */
export function renderFeed(list: HTMLElement, feed: readonly ChangeSummary[]): void {
  list.replaceChildren(
    ...feed.map((c) =>
      h(
        'li',
        { class: `change ${c.type}` },
        h('span', { class: 'lsn' }, `#${c.lsn}`),
        h('span', { class: `type ${c.type}` }, c.type),
        h('span', { class: 'mono' }, short(c.op.id)),
        h('span', {}, `${c.op.status} · a${c.op.attempt}`),
        c.op.lastError && h('span', { class: 'err' }, c.op.lastError.message),
      ),
    ),
  );
  if (feed.length === 0) list.append(h('li', { class: 'empty' }, 'Changes appear here as the worker commits them.'));
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
