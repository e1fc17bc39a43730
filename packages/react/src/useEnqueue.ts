import type { OperationInput } from '@ferry/core';
import { useCallback } from 'react';
import { useFerry } from './FerryProvider.ts';

/**
 * `client.enqueue`, stable across renders: resolves with the op's id once it
 * is durable, rejects with the worker's typed error. Follow the op with
 * {@link useOp}.
 */
export function useEnqueue(): (op: OperationInput) => Promise<string> {
  const client = useFerry();
  return useCallback((op: OperationInput) => client.enqueue(op), [client]);
}
