import type { IncomingMessage, ServerResponse } from 'node:http';

/** How `settleBody` treats a request body the handler left unread. */
export interface DrainOptions {
  /**
   * Unread body bytes read and discarded after an early answer (a 413, a 401…), so the keep-alive
   * connection can carry the next request. A body with more left than this (by `Content-Length`, or
   * once this much was discarded) gets `Connection: close` instead, and its connection ends.
   * @default 4_194_304 (4 MiB)
   */
  drainBytes?: number;
  /** A drain not finished after this long ends the connection. @default 10_000 */
  drainMs?: number;
}

/** How to detach each request's body stream from it, so the rest of the body can be drained. */
const streams = new WeakMap<IncomingMessage, () => void>();

/**
 * The request body as a web stream that reads `req` only as fast as it is consumed. Cancelling it
 * (a reader refusing a body over its limit) stops reading but leaves the connection open, so
 * `settleBody` can drain the rest; `Readable.toWeb`'s cancel destroys the socket instead.
 */
export function bodyStream(req: IncomingMessage): ReadableStream<Uint8Array> {
  let open = true;
  let listener: ((chunk: Buffer) => void) | undefined;
  const onData = (chunk: Buffer, c: ReadableStreamDefaultController<Uint8Array>): void => {
    c.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    if ((c.desiredSize ?? 0) <= 0) req.pause();
  };
  /** Stops reading for the stream; the body's rest stays in the socket for the drain. */
  const stop = (): void => {
    open = false;
    req.pause();
    if (listener) req.removeListener('data', listener);
  };
  streams.set(req, stop);
  return new ReadableStream<Uint8Array>(
    {
      start(c) {
        req.pause();
        listener = (chunk) => onData(chunk, c);
        req.on('data', listener);
        req.once('end', () => open && ((open = false), c.close()));
        req.once('error', (err) => open && ((open = false), c.error(err)));
        // The client went away mid-body: neither 'end' nor always 'error' comes.
        req.once('close', () => open && ((open = false), c.error(new Error('the request was aborted'))));
      },
      pull() {
        req.resume();
      },
      cancel: stop,
    },
    { highWaterMark: 65_536, size: (chunk) => chunk.byteLength },
  );
}

/**
 * Called as the answer is about to be written: a body the handler did not read to its end is drained
 * (bounded), or the answer carries `Connection: close`, so the next request on a keep-alive connection
 * is never stuck behind, or reset by, the rest of this one's body.
 */
export function settleBody(req: IncomingMessage, res: ServerResponse, options: DrainOptions = {}): void {
  if (req.complete || req.destroyed) return;
  const { drainBytes = 4_194_304, drainMs = 10_000 } = options;
  // The handler is done with the body: what is left goes nowhere but the drain.
  streams.get(req)?.();
  const close = (): void => {
    if (!res.headersSent) res.setHeader('connection', 'close');
    // Once the answer is out, the connection ends; what the client still sends is not read.
    if (res.writableFinished) req.socket.destroy();
    else res.once('finish', () => req.socket.destroy());
  };
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > drainBytes) return close();
  let discarded = 0;
  const timer = setTimeout(close, drainMs);
  timer.unref();
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.byteLength;
    if (discarded > drainBytes) {
      clearTimeout(timer);
      req.pause();
      close();
    }
  });
  req.once('end', () => clearTimeout(timer));
  req.once('close', () => clearTimeout(timer));
  req.resume();
}
