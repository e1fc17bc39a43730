import type { Timers } from '@ferry/core';

/** What {@link readBody} got: the text, and whether that was the whole body. */
export interface BodyText {
  text: string;
  /** False when the size cap or the time limit cut the body short, or it broke off. */
  complete: boolean;
}

/**
 * Reads a response body as UTF-8 text, at most `maxBytes` of it and for at
 * most `timeoutMs` on `timers`, then lets the rest go: a server that sends a
 * huge body, or stalls in the middle of one, cannot hold the worker.
 */
export async function readBody(res: Response, maxBytes: number, timeoutMs: number, timers: Timers): Promise<BodyText> {
  const reader = res.body?.getReader();
  if (!reader) return { text: '', complete: true };
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let size = 0;
  let complete = false;
  let timer: unknown;
  const timeout = new Promise<'timeout'>((resolve) => (timer = timers.setTimeout(() => resolve('timeout'), timeoutMs)));
  try {
    while (size <= maxBytes) {
      const next = await Promise.race([reader.read(), timeout]);
      if (next === 'timeout') break;
      if (next.done) {
        complete = true;
        break;
      }
      chunks.push(next.value);
      size += next.value.length;
    }
  } catch {
    // A body that breaks off mid-way still says what it said so far.
  } finally {
    timers.clearTimeout(timer);
    reader.cancel().catch(() => {});
  }
  // UTF-8, malformed bytes replaced, decoded in place: a Blob's text() would go through the browser's blob
  // registry for every body, which costs the 16-lane drain about a tenth (bench/src/abDrain.ts).
  const text = new TextDecoder().decode(joined(chunks, Math.min(size, maxBytes)));
  return { text, complete: complete && size <= maxBytes };
}

/** The first `length` bytes of `chunks`, as one array (the only chunk itself when it is all). */
function joined(chunks: readonly Uint8Array<ArrayBuffer>[], length: number): Uint8Array<ArrayBuffer> {
  const only = chunks[0];
  if (chunks.length === 1 && only && only.length === length) return only;
  const all = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    if (at >= length) break;
    const part = c.subarray(0, length - at);
    all.set(part, at);
    at += part.length;
  }
  return all;
}
