export { FaultProxy } from './FaultProxy.ts';
export type { FaultProxyOptions, LoggedRequest } from './FaultProxy.ts';
export { randomFaults } from './faults.ts';
export type { Fault, FaultPlan, FaultRates, PlannedRequest, RandomFaultsOptions } from './faults.ts';
