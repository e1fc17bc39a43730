import { systemTimers } from '@ferry/core';
import { VirtualClock } from '@ferry/core/testing';
import { describe, expect, it } from 'vitest';
import { readBody } from './readBody.ts';

/** A response whose body arrives in these chunks, then ends (or stays open). */
function chunked(chunks: readonly (string | number[])[], end = true): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      for (const chunk of chunks) c.enqueue(typeof chunk === 'string' ? encoder.encode(chunk) : new Uint8Array(chunk));
      if (end) c.close();
    },
  });
  return new Response(body);
}

describe('readBody', () => {
  it('joins the chunks of a body in order and says it is complete', async () => {
    expect(await readBody(chunked(['{"a":', '[1,2]', ',"b":"ü"}']), 1024, 1000, systemTimers)).toEqual({
      text: '{"a":[1,2],"b":"ü"}',
      complete: true,
    });
    expect(await readBody(chunked(['one chunk']), 1024, 1000, systemTimers)).toEqual({
      text: 'one chunk',
      complete: true,
    });
    expect(await readBody(new Response(null), 1024, 1000, systemTimers)).toEqual({ text: '', complete: true });
  });

  it('decodes a character split across chunks, and replaces malformed bytes', async () => {
    // "é" is C3 A9; FF is never valid UTF-8.
    expect(
      await readBody(
        chunked([
          [0x63, 0x61, 0x66, 0xc3],
          [0xa9, 0x20, 0xff],
        ]),
        1024,
        1000,
        systemTimers,
      ),
    ).toEqual({ text: 'café \ufffd', complete: true });
  });

  it('keeps at most maxBytes bytes, cutting across chunks, and says it is not complete', async () => {
    expect(await readBody(chunked(['abcd', 'efgh', 'ijkl']), 6, 1000, systemTimers)).toEqual({
      text: 'abcdef',
      complete: false,
    });
    // The cap falls inside "é": what is left of it is replaced, as a decoder does at the end of its input.
    expect(await readBody(chunked(['ab', [0xc3, 0xa9]]), 3, 1000, systemTimers)).toEqual({
      text: 'ab\ufffd',
      complete: false,
    });
    expect(await readBody(chunked(['abcdef']), 6, 1000, systemTimers)).toEqual({ text: 'abcdef', complete: true });
  });

  it('a body that stalls gives what came before the time limit, not complete', async () => {
    const clock = new VirtualClock();
    let done = false;
    const read = readBody(chunked(['par', 'tial'], false), 1024, 60_000, clock).finally(() => (done = true));
    await new Promise((resolve) => setTimeout(resolve, 0));
    clock.advance(59_999);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(done).toBe(false);
    clock.advance(1);
    expect(await read).toEqual({ text: 'partial', complete: false });
  });
});
