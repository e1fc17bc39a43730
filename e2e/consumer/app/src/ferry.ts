/**
 * The app's Ferry wiring: vite-plugin-pwa registers the worker, with its
 * update prompt; Ferry's client uses that registration.
 */
import { createFerryClient } from '@ferry/client';
import type { FerryClient } from '@ferry/client';
import { registerSW } from 'virtual:pwa-register';

declare const __APP_VERSION__: string;

declare global {
  interface Window {
    ferry: FerryClient;
    ferryReady: Promise<ServiceWorkerRegistration | undefined>;
    /** Accepts the update: the waiting worker takes over and the page reloads. */
    acceptUpdate: () => Promise<void>;
    checkForUpdate: () => Promise<void>;
    lazyText: Promise<string>;
  }
}

document.body.dataset['version'] = __APP_VERSION__;
const ferry = createFerryClient();
window.ferry = ferry;

let registered: (reg: ServiceWorkerRegistration) => void = () => {};
const registration = new Promise<ServiceWorkerRegistration>((resolve) => (registered = resolve));
const updateSW = registerSW({
  onNeedRefresh() {
    // The app's "new version, reload?" prompt.
    document.body.dataset['needRefresh'] = 'true';
  },
  onRegisteredSW(_url, reg) {
    if (reg) registered(reg);
  },
});
window.acceptUpdate = () => updateSW(true);
window.checkForUpdate = async () => {
  await (await registration).update();
};
window.ferryReady = registration.then((reg) => ferry.register(reg));
// A lazy chunk: an old tab must still load its own after a new version was deployed.
window.lazyText = import('./lazy.ts').then((m) => m.text);
