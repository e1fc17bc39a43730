/** The panel's views: the queue (lanes, dead letters, ops) and one op's history. */
import type { Operation, WalRecord } from '@ferry/core';
import { h } from './h.ts';
import type { LaneRow } from './queueModel.ts';
import { clockTime, detailOf } from './queueModel.ts';

/** What the views call back. */
export interface Actions {
  select(id: string): void;
  retry(id: string): void;
  remove(id: string): void;
  save(id: string, text: string): void;
  syncNow(): void;
}

export interface QueueView {
  lanes: LaneRow[];
  ops: Operation[];
  selected: string | undefined;
}

export function renderQueue(v: QueueView, a: Actions): HTMLElement {
  const lanes = h(
    'table',
    { class: 'lanes' },
    h('tr', {}, ...['lane', 'user', 'pending', 'in flight', 'failed', 'next / held'].map((t) => h('th', {}, t))),
    ...v.lanes.map((l) =>
      h(
        'tr',
        { 'data-lane': l.lane },
        h('td', {}, l.lane),
        h('td', {}, l.user ?? ''),
        h('td', {}, String(l.pending)),
        h('td', {}, String(l.inflight)),
        h('td', { class: l.failed ? 'failed' : undefined }, String(l.failed)),
        l.held !== undefined
          ? h('td', { class: 'held' }, `held: ${l.held}`)
          : h('td', {}, l.nextAttemptAt === undefined ? '' : clockTime(l.nextAttemptAt)),
      ),
    ),
  );
  const dead = v.ops.filter((op) => op.status === 'failed');
  return h(
    'section',
    { class: 'queue' },
    h('h3', {}, `Lanes (${v.lanes.length})`),
    lanes,
    h('h3', {}, `Dead letters (${dead.length})`),
    h('table', { class: 'dead' }, ...dead.map((op) => opRow(op, v.selected, a, true))),
    h('h3', {}, `Queued ops (${v.ops.length})`),
    h('table', { class: 'ops' }, ...v.ops.map((op) => opRow(op, v.selected, a, false))),
  );
}

function opRow(op: Operation, selected: string | undefined, a: Actions, actions: boolean): HTMLElement {
  return h(
    'tr',
    { class: 'op', 'data-op': op.id, 'aria-selected': op.id === selected, onclick: () => a.select(op.id) },
    h('td', {}, op.id),
    h('td', {}, op.kind),
    h('td', { class: op.status === 'failed' ? 'failed' : undefined }, op.status),
    h('td', {}, op.lastError?.message ?? ''),
    actions &&
      h(
        'td',
        {},
        h('button', { class: 'retry', onclick: (e) => (e.stopPropagation(), a.retry(op.id)) }, 'retry'),
        h('button', { class: 'remove', onclick: (e) => (e.stopPropagation(), a.remove(op.id)) }, 'discard'),
      ),
  );
}

/** One op: what it is now, its actions, and every WAL record of it. */
export function renderHistory(
  id: string,
  op: Operation | undefined,
  records: readonly WalRecord[],
  editor: HTMLTextAreaElement,
  a: Actions,
): HTMLElement {
  const answer = op?.answer ? `answer ${op.answer.status} ${JSON.stringify(op.answer.body ?? null)}` : '';
  return h(
    'section',
    { class: 'history', 'data-op': id },
    h('h3', {}, `${id}: ${op ? `${op.kind} → ${op.method} ${op.target}, ${op.status}` : 'removed'}`),
    answer && h('div', { class: 'answer' }, answer),
    op &&
      h(
        'div',
        {},
        h('button', { class: 'retry', onclick: () => a.retry(id) }, 'retry'),
        removeLabel(op) && h('button', { class: 'remove', onclick: () => a.remove(id) }, removeLabel(op)),
        h('button', { class: 'save', onclick: () => a.save(id, editor.value) }, 'save payload'),
      ),
    op && editor,
    h(
      'table',
      { class: 'records' },
      h('tr', {}, ...['lsn', 'time', 'record', 'status', 'attempt', 'lease', 'detail'].map((t) => h('th', {}, t))),
      ...records.map((r) =>
        h(
          'tr',
          { 'data-lsn': r.lsn, 'data-type': r.type },
          h('td', {}, String(r.lsn)),
          h('td', {}, clockTime(r.at)),
          h('td', {}, r.type),
          h('td', { class: r.status === 'failed' ? 'failed' : undefined }, r.status ?? ''),
          h('td', {}, r.attempt === undefined ? '' : String(r.attempt)),
          h('td', {}, r.leaseOwner ?? ''),
          h('td', {}, detailOf(r)),
        ),
      ),
    ),
  );
}

/**
 * What removing `op` does, as its button says: `cancel` for an op never sent, `discard` for a dead letter; none
 * once it may have reached the server (the client's `remove`, the one way to do both, refuses it then).
 */
function removeLabel(op: Operation): string {
  if (op.status === 'failed') return 'discard';
  return op.status === 'pending' && !op.possiblyDelivered ? 'cancel' : '';
}
