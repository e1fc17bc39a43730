import type { OperationInput } from '@ferry/core';
import { useFerry } from './ferryPlugin.ts';

/**
 * `client.enqueue` of the app's client: resolves with the op's id once it is durable, rejects with
 * the worker's typed error. Follow the op with {@link useOp}.
 */
export function useEnqueue(): (op: OperationInput) => Promise<string> {
  const client = useFerry();
  return (op) => client.enqueue(op);
}
