import type { KickReason } from '@ferry/core/protocol';

/**
 * Forwards the page's `online` and `visibilitychange` (to visible) as kicks:
 * a service worker gets no `online` event of its own. Outside a page it
 * does nothing. Returns a cleanup.
 */
export function forwardPageEvents(kick: (reason: KickReason) => void): () => void {
  if (typeof addEventListener !== 'function' || typeof document !== 'object') return () => {};
  const onOnline = (): void => kick('online');
  const onVisible = (): void => {
    if (document.visibilityState === 'visible') kick('visible');
  };
  addEventListener('online', onOnline);
  document.addEventListener('visibilitychange', onVisible);
  return () => {
    removeEventListener('online', onOnline);
    document.removeEventListener('visibilitychange', onVisible);
  };
}
