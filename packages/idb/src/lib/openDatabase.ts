import { SCHEMA_VERSION, upgrade } from '../schema.ts';
import { FerryError } from './core.ts';
import { mapError } from './mapError.ts';
import { done } from './request.ts';

/**
 * Opens (creating or upgrading) the database through an injected factory.
 * Every listener is removed once the open settles.
 *
 * Rejects with `storage-unavailable` when the open fails, the upgrade fails
 * (the versionchange transaction is aborted, so the old data stays as it
 * was), or another connection blocks the upgrade; `quota-exceeded` when the
 * upgrade runs out of space.
 *
 * @param now Wall-clock ms, stamped on records the upgrade quarantines.
 * @returns the connection, and whether this open created the database
 */
export function openDatabase(
  factory: IDBFactory,
  name: string,
  now: () => number,
): Promise<{ db: IDBDatabase; created: boolean }> {
  return new Promise((resolve, reject) => {
    let request: IDBOpenDBRequest;
    try {
      request = factory.open(name, SCHEMA_VERSION);
    } catch (err) {
      // SecurityError in opaque origins, TypeError for a bad name.
      reject(mapError(err, 'open'));
      return;
    }
    let upgradeError: unknown;
    let settled = false;
    let created = false;

    const onUpgradeNeeded = (event: IDBVersionChangeEvent): void => {
      const tx = request.transaction;
      if (tx === null) return;
      // An aborted upgrade reaches the caller through the request's error, not through this.
      done(tx).catch(() => {});
      created = event.oldVersion === 0;
      upgrade(request.result, event.oldVersion, event.newVersion, tx, now()).catch((err: unknown) => {
        upgradeError = err;
        try {
          tx.abort();
        } catch {
          // Already finished or aborting: the open fails either way.
        }
      });
    };
    const onSuccess = (): void => {
      cleanup();
      const db = request.result;
      // The caller already got `blocked`; this late connection is nobody's.
      if (settled) db.close();
      else resolve({ db, created });
      settled = true;
    };
    const onError = (event: Event): void => {
      cleanup();
      // The error is handled here; keep it from being reported as uncaught.
      event.preventDefault();
      if (!settled) reject(mapError(upgradeError ?? request.error, 'open'));
      settled = true;
    };
    // An older connection (another tab) did not close on `versionchange`.
    // Waiting could take forever, so fail now with a typed error; the open
    // request stays alive and its connection is closed if it arrives later.
    const onBlocked = (): void => {
      if (settled) return;
      settled = true;
      reject(
        new FerryError(
          'storage-unavailable',
          'the database upgrade is blocked by another tab using an older version; close it and retry',
        ),
      );
    };
    const cleanup = (): void => {
      request.removeEventListener('upgradeneeded', onUpgradeNeeded);
      request.removeEventListener('success', onSuccess);
      request.removeEventListener('error', onError);
      request.removeEventListener('blocked', onBlocked);
    };
    request.addEventListener('upgradeneeded', onUpgradeNeeded);
    request.addEventListener('success', onSuccess);
    request.addEventListener('error', onError);
    request.addEventListener('blocked', onBlocked);
  });
}
