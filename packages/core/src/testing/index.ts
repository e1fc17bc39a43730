export { VirtualClock } from './VirtualClock.ts';
export { ScriptedTransport } from './ScriptedTransport.ts';
export { storeConformance } from './storeConformance.ts';
export type { StoreHarness } from './storeConformance.ts';
