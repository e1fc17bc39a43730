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
  const reader = res.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let size = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), READ_TIMEOUT_MS)));
  try {
    while (size < MAX_BYTES) {
      const next = await Promise.race([reader.read(), timeout]);
      if (next === 'timeout' || next.done) break;
      chunks.push(next.value);
      size += next.value.length;
    }
  } catch {
    // A body that breaks off mid-way still says what it said so far.
  } finally {
    clearTimeout(timer);
    reader.cancel().catch(() => {});
  }
  // Decoded as TextDecoder would: UTF-8, malformed bytes replaced.
  const text = await new Blob(chunks).slice(0, MAX_BYTES).text();
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
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim().slice(0, MAX_CHARS);
}
