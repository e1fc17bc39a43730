export { ServiceWorkers } from './serviceWorkers.ts';
export { askWorker, setOnline } from './askWorker.ts';
export { openApp } from './openApp.ts';
export type { WorkerReply } from './askWorker.ts';
export { launchCrashableChromium, removeProfile } from './crashableChromium.ts';
export type { CrashableChromium } from './crashableChromium.ts';
