/** The panel's view of per-origin pauses: those running, with their time left, and "unreachable for N s". */
import { MAX_PAUSE_SECONDS } from '@ferry/core/protocol';
import { h } from './h.ts';
import type { PausedOrigin } from './queueModel.ts';
import { clockTime } from './queueModel.ts';

/** The controls that keep their value across renders: the origin to pause and the seconds. */
export interface PauseInputs {
  origin: HTMLSelectElement;
  seconds: HTMLInputElement;
}

export function pauseInputs(): PauseInputs {
  const origin = h('select', { class: 'pause-origin', 'aria-label': 'origin' }) as HTMLSelectElement;
  const seconds = h('input', {
    class: 'pause-seconds',
    type: 'number',
    min: 1,
    max: MAX_PAUSE_SECONDS,
    value: 10,
    'aria-label': 'seconds',
  }) as HTMLInputElement;
  return { origin, seconds };
}

/**
 * The pauses running at `now` (each origin with its seconds left) and the controls that start one: `origins`
 * fill the origin list, the selection kept; `pause` gets the origin and the seconds as typed.
 */
export function renderPauses(
  paused: readonly PausedOrigin[],
  now: number,
  origins: readonly string[],
  inputs: PauseInputs,
  pause: (origin: string, seconds: number) => void,
): HTMLElement {
  const chosen = inputs.origin.value;
  inputs.origin.replaceChildren(...origins.map((o) => h('option', { value: o, selected: o === chosen }, o)));
  const left = (p: PausedOrigin) => `${Math.ceil((p.until - now) / 1000)} s`;
  return h(
    'section',
    { class: 'pauses' },
    h('h3', {}, `Paused origins (${paused.length})`),
    paused.length > 0 &&
      h(
        'ul',
        {},
        ...paused.map((p) =>
          h(
            'li',
            { class: 'paused', 'data-origin': p.origin },
            `${p.origin} paused for ${left(p)} more (until ${clockTime(p.until)})`,
          ),
        ),
      ),
    h(
      'div',
      {},
      'Make ',
      inputs.origin,
      ' unreachable for ',
      inputs.seconds,
      ' s ',
      h('button', { class: 'pause', onclick: () => pause(inputs.origin.value, Number(inputs.seconds.value)) }, 'pause'),
    ),
  );
}
