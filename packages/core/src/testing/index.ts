export { VirtualClock } from './VirtualClock.ts';
export { ScriptedTransport } from './ScriptedTransport.ts';
export { storeConformance } from './storeConformance.ts';
export type { StoreHarness } from './storeConformance.ts';
export { deliveryModel } from './deliveryModel.ts';
export type { ModelHarness } from './deliveryModel.ts';
