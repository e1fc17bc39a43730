/**
 * IndexedDB's requests as promises: the whole of what this package needs of a wrapper. A promise settles in
 * the request's event, so a callback that awaits only these keeps its transaction alive (a microtask runs
 * before the transaction can commit).
 */

/** Settles with the request's result, or rejects with its error. */
export function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** Moves `cursor` on and settles with it at the next record, or with null past the last one. */
export function next<C extends IDBCursor>(cursor: C): Promise<C | null> {
  cursor.continue();
  return request(cursor.request as IDBRequest<C | null>);
}

/**
 * Settles once `tx` committed; rejects once it aborted, with its error, or an `AbortError` when it has
 * none (an abort the code asked for).
 */
export function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (): void => reject(tx.error ?? new DOMException('AbortError', 'AbortError'));
    tx.addEventListener('complete', () => resolve());
    tx.addEventListener('error', fail);
    tx.addEventListener('abort', fail);
  });
}
