/**
 * Gives `request` a `signal` that `source` makes on its first read. A Request built with a `signal`
 * follows it at once (a listener, a weak reference and a finalizer: tens of µs of CPU per request),
 * and most handlers never read it; this one costs nothing until read, and reading it returns the
 * source's signal itself. A Request passed on to `fetch` or to `new Request` keeps its own signal,
 * which never aborts.
 */
export function withSignal(request: Request, source: () => AbortSignal): Request {
  let signal: AbortSignal | undefined;
  Object.defineProperty(request, 'signal', { get: () => (signal ??= source()), configurable: true });
  return request;
}
