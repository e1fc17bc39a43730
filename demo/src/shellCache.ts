/// <reference lib="webworker" />
/**
 * The app shell: the built page's files, cached at install and served
 * cache-first, so that the page opens offline. `/api/` is never cached: it
 * goes to the network (and the Ferry host sends from the worker itself,
 * which no fetch handler sees).
 */
export function shellCache(
  scope: ServiceWorkerGlobalScope,
  shell: { files: readonly string[]; version: string },
): void {
  const name = `ferry-demo-shell-${shell.version}`;
  scope.addEventListener('install', (e) => e.waitUntil(caches.open(name).then((c) => c.addAll(shell.files))));
  scope.addEventListener('activate', (e) =>
    e.waitUntil(
      caches
        .keys()
        .then((keys) =>
          Promise.all(keys.filter((k) => k.startsWith('ferry-demo-shell-') && k !== name).map((k) => caches.delete(k))),
        ),
    ),
  );
  scope.addEventListener('fetch', (e) => {
    const url = new URL(e.request.url);
    if (e.request.method !== 'GET' || url.origin !== scope.location.origin || url.pathname.startsWith('/api/')) return;
    // Navigations to `/?fast=1` and the like are the same page: look up `/`.
    const key = e.request.mode === 'navigate' ? '/' : e.request;
    e.respondWith(
      caches.open(name).then(async (cache) => (await cache.match(key, { ignoreSearch: true })) ?? fetch(e.request)),
    );
  });
}
