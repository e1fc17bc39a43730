/**
 * @ferry/workbox: a Workbox plugin that turns a route's failed requests into Ferry ops.
 *
 * @example
 * const host = createFerryHost({ transport: { headers: workboxHeaders() } });
 * const plugin = new FerryPlugin({ host });
 * registerRoute(({ url }) => url.pathname.startsWith('/api/'), new NetworkOnly({ plugins: [plugin] }), 'POST');
 */
export { FerryPlugin, workboxHeaders } from './FerryPlugin.ts';
export type { FerryPluginOptions, PluginHost, WorkboxHeadersOptions } from './FerryPlugin.ts';
export { HeaderStore, headerCacheName, keptHeaders } from './lib/headerStore.ts';
export type { CacheStorageLike } from './lib/headerStore.ts';
