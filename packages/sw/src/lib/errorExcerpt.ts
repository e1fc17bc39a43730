import { readBody } from './readBody.ts';

const MAX_BYTES = 2048;
const MAX_CHARS = 200;
const READ_TIMEOUT_MS = 1000;

/**
 * Why the server refused, from an error response's body, so that
 * `lastError.message` says more than the status: the `error` or `message`
 * field of a JSON body, or the start of a text body. Reads at most 2 KiB and
 * waits at most a second, so a hostile body cannot stall the worker.
 * @returns a single printable line of at most 200 characters, or '' when there is nothing useful
 */
export async function errorExcerpt(res: Response): Promise<string> {
  const { text } = await readBody(res, MAX_BYTES, READ_TIMEOUT_MS);
  let reason = text;
  try {
    const json = JSON.parse(text) as { error?: unknown; message?: unknown };
    reason = typeof json.error === 'string' ? json.error : typeof json.message === 'string' ? json.message : '';
  } catch {
    // Not JSON (or cut off): use the text itself.
  }
  return oneLine(reason);
}

/** A server-given reason as a single printable line of at most 200 characters. */
export function oneLine(text: string): string {
  return text
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .trim()
    .slice(0, MAX_CHARS);
}
