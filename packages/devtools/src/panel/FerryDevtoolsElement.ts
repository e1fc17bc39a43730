import type { FerryClient } from '@ferry/client';
import type { OriginPause } from '@ferry/client/history';
import type { Operation, WalRecord } from '@ferry/core';
import type { DevtoolsSource } from './DevtoolsSource.ts';
import { sourceOf } from './DevtoolsSource.ts';
import { h } from './h.ts';
import { pauseInputs, renderPauses } from './pauseView.ts';
import { lanesOf, mergePauses, originOf, pausedOrigins } from './queueModel.ts';
import type { Actions } from './render.ts';
import { renderHistory, renderQueue } from './render.ts';
import { STYLES } from './styles.ts';

/** The recent WAL records the queue view keeps (paused origins are read from them). */
const RECENT = 200;
/** Changes arriving within this many ms are loaded in one refresh. */
const SETTLE_MS = 30;
/** While a pause runs, the panel reloads this often (ms): its time left counts down, its end shows. */
const TICK_MS = 1000;
/** Where a panel tells the others (every tab's) that it started a pause: no change of an op says so. */
const PEERS = 'ferry-devtools';

/**
 * `<ferry-devtools>`: the queue of a Ferry client (its lanes per user, held lanes with their reason, paused
 * origins, dead letters) and, for the op selected, every WAL record of it, kept current from the change feed
 * (which every tab's client receives from the one host). Set `client` (or, in tests, `source`) to start.
 * Its × closes it to a launcher button (the `closed` attribute), which opens it again; closed, it follows nothing.
 */
export class FerryDevtoolsElement extends HTMLElement {
  static readonly observedAttributes = ['closed'];
  #source: DevtoolsSource | undefined;
  /** Set while the panel follows its source (open and connected): stops the subscription, timers and channel. */
  #off: (() => void) | undefined;
  #ops: Operation[] = [];
  #pauses: OriginPause[] = [];
  #recent: WalRecord[] = [];
  #recentNext = 0;
  #selected: string | undefined;
  #op: Operation | undefined;
  #history: WalRecord[] = [];
  #historyNext = 0;
  /** Why the last load failed (cleared by the next that succeeds), and why the last action failed. */
  #loadError = '';
  #actionError = '';
  #timer: ReturnType<typeof setTimeout> | undefined;
  #tick: ReturnType<typeof setTimeout> | undefined;
  /** The refresh running, and whether another must follow it. */
  #running: Promise<void> | undefined;
  #again = false;
  readonly #root: ShadowRoot;
  readonly #editor = h('textarea', { class: 'payload', spellcheck: 'false' }) as HTMLTextAreaElement;
  readonly #inputs = pauseInputs();

  constructor() {
    super();
    this.#root = this.attachShadow({ mode: 'open' });
  }

  /** The client whose queue the panel shows. */
  set client(client: FerryClient) {
    this.source = sourceOf(client);
  }

  /** What the panel reads and does; `client` sets it from a client. */
  set source(source: DevtoolsSource) {
    this.#stop();
    this.#source = source;
    if (this.isConnected) this.connectedCallback();
  }

  connectedCallback(): void {
    if (this.hasAttribute('closed')) this.#renderLauncher();
    else if (this.#source && !this.#off) this.#start();
  }

  disconnectedCallback(): void {
    this.#stop();
  }

  attributeChangedCallback(): void {
    if (!this.isConnected) return;
    this.#stop();
    this.connectedCallback();
  }

  /** Shows `id`'s history (read whole from the WAL, then kept current). */
  async select(id: string): Promise<void> {
    this.#selected = id;
    this.#history = [];
    this.#historyNext = 0;
    this.#op = undefined;
    this.#editor.dataset['op'] = '';
    await this.refresh();
  }

  /** Loads what changed since the last load and renders; resolves once the panel shows it. */
  refresh(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    const run = async (): Promise<void> => {
      do {
        this.#again = false;
        await this.#load().then(
          () => void (this.#loadError = ''),
          (err: unknown) => void (this.#loadError = describeError(err)),
        );
        this.#render();
      } while (this.#again);
    };
    return (this.#running = run().finally(() => (this.#running = undefined)));
  }

  #start(): void {
    const source = this.#source!;
    // A burst of changes (a drain) is loaded once.
    const soon = (): void => {
      this.#timer ??= setTimeout(() => {
        this.#timer = undefined;
        void this.refresh();
      }, SETTLE_MS);
    };
    const unsubscribe = source.subscribe(soon);
    const peers = typeof BroadcastChannel === 'function' ? new BroadcastChannel(PEERS) : undefined;
    peers?.addEventListener('message', soon);
    this.#off = () => {
      unsubscribe();
      peers?.close();
    };
    void this.refresh();
  }

  #stop(): void {
    this.#off?.();
    this.#off = undefined;
    clearTimeout(this.#timer);
    clearTimeout(this.#tick);
    this.#timer = this.#tick = undefined;
  }

  async #load(): Promise<void> {
    const source = this.#source;
    if (!source) return;
    this.#ops = await source.queue();
    // A host that cannot pause (an app's own transport) shows none; its refusal shows when the panel asks for one.
    this.#pauses = await source.pauses().catch(() => []);
    for (let more = true; more;) {
      const r = await source.history({ fromLsn: this.#recentNext, limit: RECENT });
      this.#recent = [...this.#recent, ...r.records].slice(-RECENT);
      this.#recentNext = r.next;
      more = !r.complete;
    }
    const id = this.#selected;
    if (id === undefined) return;
    for (let more = true; more;) {
      const r = await source.history({ opId: id, fromLsn: this.#historyNext, limit: 1000 });
      if (id !== this.#selected) return;
      this.#history = [...this.#history, ...r.records];
      this.#historyNext = r.next;
      more = !r.complete;
    }
    this.#op = await source.get(id);
    // The editor shows the op's payload when it is (re)selected or saved, never over what is being typed.
    if (this.#op && this.#editor.dataset['op'] !== id) {
      this.#editor.value = JSON.stringify(this.#op.payload, null, 2);
      this.#editor.dataset['op'] = id;
    }
  }

  #render(): void {
    // Closed meanwhile (a refresh that was running): the launcher stays.
    if (!this.#off) return;
    const actions: Actions = {
      select: (id) => void this.select(id),
      retry: (id) => this.#act(() => this.#source!.retry(id)),
      remove: (id) => this.#act(() => this.#source!.remove(id)),
      save: (id, text) =>
        this.#act(async () => {
          let payload: Operation['payload'];
          try {
            payload = JSON.parse(text) as Operation['payload'];
          } catch {
            throw new Error('the payload is not JSON');
          }
          await this.#source!.update(id, { payload });
          this.#editor.dataset['op'] = '';
        }),
      syncNow: () => this.#act(() => this.#source!.syncNow()),
    };
    const pause = (origin: string, seconds: number): void =>
      this.#act(async () => {
        await this.#source!.pauses({ origin, seconds });
        const peers = new BroadcastChannel(PEERS);
        peers.postMessage('pause');
        peers.close();
      });
    const now = Date.now();
    const paused = mergePauses(this.#pauses, pausedOrigins(this.#recent, this.#ops, now, location.href), now);
    const origins = new Set([location.origin, ...paused.map((p) => p.origin)]);
    for (const op of this.#ops) origins.add(originOf(op.target, location.href));
    const queue = { lanes: lanesOf(this.#ops), ops: this.#ops, selected: this.#selected };
    const parts: (Node | false | '')[] = [
      h('style', {}, STYLES),
      h(
        'header',
        {},
        h('strong', {}, 'Ferry'),
        h('button', { class: 'sync', onclick: () => actions.syncNow() }, 'sync now'),
        !this.hasAttribute('embedded') &&
          h('button', { class: 'close', onclick: () => this.toggleAttribute('closed', true) }, '×'),
      ),
      ...[this.#loadError, this.#actionError].map((e) => e && h('div', { class: 'error', role: 'alert' }, e)),
      renderPauses(paused, now, [...origins], this.#inputs, pause),
      renderQueue(queue, actions),
      this.#selected !== undefined && renderHistory(this.#selected, this.#op, this.#history, this.#editor, actions),
    ];
    // The inputs are the same elements across renders: what is being typed stays, and so does the focus.
    const focused = this.#root.activeElement;
    this.#root.replaceChildren(...parts.filter((p): p is Node => p !== false && p !== ''));
    if (focused instanceof HTMLElement && focused.isConnected) focused.focus();
    clearTimeout(this.#tick);
    this.#tick = paused.length > 0 ? setTimeout(() => void this.refresh(), TICK_MS) : undefined;
  }

  #renderLauncher(): void {
    const open = (): void => void this.toggleAttribute('closed', false);
    this.#root.replaceChildren(h('style', {}, STYLES), h('button', { class: 'launcher', onclick: open }, 'Ferry'));
  }

  /** Runs an action; its error is shown in the panel until the next action, and the panel reloads either way. */
  #act(action: () => Promise<unknown>): void {
    this.#actionError = '';
    void action()
      .catch((err: unknown) => void (this.#actionError = describeError(err)))
      .then(() => this.refresh());
  }
}

function describeError(err: unknown): string {
  const code = typeof err === 'object' && err !== null && 'code' in err ? `${String(err.code)}: ` : '';
  return `${code}${err instanceof Error ? err.message : String(err)}`;
}

/** Defines `<ferry-devtools>` once per page. */
export function defineFerryDevtools(): void {
  if (!customElements.get('ferry-devtools')) customElements.define('ferry-devtools', FerryDevtoolsElement);
}
