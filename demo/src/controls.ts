import type { Faults } from './api.ts';
import { getFaults, putFaults } from './api.ts';
import { byId } from './dom.ts';

/**
 * The server-misbehaviour controls: each change is PUT to `/api/faults` at
 * once, and the form shows what the server answered.
 */
export async function wireControls(onFaults: (f: Faults | undefined) => void): Promise<void> {
  const offline = byId<HTMLInputElement>('f-offline');
  const failure = byId<HTMLInputElement>('f-failure');
  const latency = byId<HTMLInputElement>('f-latency');
  const rate = byId<HTMLInputElement>('f-429');
  const retryAfter = byId<HTMLInputElement>('f-retry-after');
  const poison = byId<HTMLInputElement>('f-poison');
  const status = byId('f-status');

  const show = (f: Faults): void => {
    offline.checked = f.offline;
    failure.value = String(Math.round(f.failureRate * 100));
    latency.value = String(f.latencyMs);
    rate.value = String(Math.round(f.rateLimitRate * 100));
    retryAfter.value = String(f.retryAfterS);
    if (document.activeElement !== poison) poison.value = f.poison;
    byId('v-failure').textContent = `${failure.value}%`;
    byId('v-latency').textContent = `${latency.value} ms`;
    byId('v-429').textContent = `${rate.value}%`;
    status.textContent = '';
    onFaults(f);
  };
  const apply = (patch: Partial<Faults>): void => {
    putFaults(patch).then(show, (err: unknown) => {
      status.textContent = `The server did not take it: ${err instanceof Error ? err.message : String(err)}`;
      onFaults(undefined);
    });
  };
  // Slider labels follow the thumb; the server is told once it is let go.
  for (const [input, label, unit] of [
    [failure, 'v-failure', '%'],
    [latency, 'v-latency', ' ms'],
    [rate, 'v-429', '%'],
  ] as const) {
    input.addEventListener('input', () => {
      byId(label).textContent = `${input.value}${unit}`;
    });
  }
  offline.addEventListener('change', () => apply({ offline: offline.checked }));
  failure.addEventListener('change', () => apply({ failureRate: Number(failure.value) / 100 }));
  latency.addEventListener('change', () => apply({ latencyMs: Number(latency.value) }));
  rate.addEventListener('change', () => apply({ rateLimitRate: Number(rate.value) / 100 }));
  retryAfter.addEventListener('change', () => apply({ retryAfterS: Math.max(0, Number(retryAfter.value) || 0) }));
  poison.addEventListener('change', () => apply({ poison: poison.value.trim() }));
  byId('f-reset').addEventListener('click', () =>
    apply({ offline: false, failureRate: 0, latencyMs: 0, rateLimitRate: 0, retryAfterS: 2, poison: '' }),
  );
  try {
    show(await getFaults());
  } catch {
    status.textContent = 'Controls need the server; they come back with it.';
    onFaults(undefined);
  }
}
