import { FerryServerError } from '../FerryServerError.ts';

/** SQLSTATEs (and socket errors) that mean the connection is gone, not that a statement failed. */
const CONNECTION_LOST = new Set([
  '57P01', // admin_shutdown: pg_terminate_backend, a fast shutdown or restart
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: the server is starting or stopping
  '25P03', // idle_in_transaction_session_timeout
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
]);

/** Whether `err` says the connection ended (or never began) rather than that a statement failed. */
export function isConnectionLoss(err: unknown): boolean {
  if (err instanceof FerryServerError) return err.code === 'storage-unavailable';
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && (CONNECTION_LOST.has(code) || code.startsWith('08'))) return true;
  const message = err instanceof Error ? err.message : '';
  return /Connection terminated|not queryable|terminating connection|Client was closed/i.test(message);
}
