import type { FerryErrorData } from '../FerryError.ts';
import { FerryError } from '../FerryError.ts';

/** The message of a thrown value: an Error's `message`, anything else as a string. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Any thrown value as it is logged or crosses to the page: a FerryError's own `{ code, message }`, anything else
 * (a bug, or the platform failing in a way nothing mapped) `internal` with its name and message.
 */
export function errorData(err: unknown): FerryErrorData {
  if (err instanceof FerryError) return err.toJSON();
  return { code: 'internal', message: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
}
