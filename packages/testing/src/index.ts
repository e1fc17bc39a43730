export { checkDelivery } from './checker/checkDelivery.ts';
export type {
  DeliveryCounts,
  DeliveryHistory,
  DeliveryReport,
  Effect,
  FinalOp,
  WireRequest,
} from './checker/history.ts';
export { seededRandom, suiteSeed } from './random.ts';
export type { SeededRandom } from './random.ts';
