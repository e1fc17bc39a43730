import { FerryError } from '../FerryError.ts';
import type { OperationInput } from '../Operation.ts';

/** What the conformance suites enqueue: a chat message, in `lane` when given. */
export const msg = (text: string, lane?: string): OperationInput => ({
  kind: 'message.send',
  target: '/api/messages',
  payload: { text },
  ...(lane === undefined ? {} : { lane }),
});

/** The code a call rejects with (`resolved` when it does not), for suites that assert on codes. */
export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return err instanceof FerryError ? err.code : `not a FerryError: ${String(err)}`;
  }
  return 'resolved';
}
