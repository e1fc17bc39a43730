export { FaultProxy } from './FaultProxy.ts';
export type { FaultProxyOptions } from './FaultProxy.ts';
export type { LoggedRequest } from './recorder.ts';
export { randomFaults } from './faults.ts';
export type { Fault, FaultPlan, FaultRates, PlannedRequest, RandomFaultsOptions } from './faults.ts';
