export { ferryMutation } from './ferryMutation.ts';
export type { FerryMutationError, FerryMutationSpec } from './ferryMutation.ts';
export { restoreMutations } from './restoreMutations.ts';
export type { RestoreOptions } from './restoreMutations.ts';
export { DeadLetterError } from './DeadLetterError.ts';
