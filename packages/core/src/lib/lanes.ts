/**
 * A lane is ordered per user: the ops of two users never wait behind each
 * other, so one user's ops held for want of credentials never stall another's.
 * The store orders a lane by its id: the app's lane name for ops of nobody,
 * the name and the user joined by a NUL (which names and user ids cannot hold).
 */
export function laneId(op: { lane: string; user?: string | undefined }): string {
  return op.user === undefined ? op.lane : `${op.lane}\u0000${op.user}`;
}

/**
 * The due-index time of a lane head that is held (see `Operation.held`):
 * later than any clock reading, so no claim finds it, and the held heads sit
 * together at the end of the index where a release reads them.
 */
export const HELD_DUE = 8.64e15;
