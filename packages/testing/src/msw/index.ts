export { FaultHandler } from './FaultHandler.ts';
export type { FaultHandlerOptions } from './FaultHandler.ts';
