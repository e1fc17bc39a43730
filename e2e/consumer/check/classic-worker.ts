/// <reference lib="webworker" />
/// <reference types="@ferry/sw/classic.js" />
// A classic worker in TypeScript that loads the prebuilt bundle: the global `ferry` is typed.
declare const self: ServiceWorkerGlobalScope;

importScripts('/ferry-sw.classic.js');
const store = () => ferry.IdbStore.open({ name: 'app' });
export const stop: () => void = ferry
  .createFerryHost({ storage: { store } })
  .listen(self, { skipWaiting: true, clientsClaim: true });
