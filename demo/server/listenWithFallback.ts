import type { DemoServer } from './createDemoServer.ts';

/**
 * Listens on `port`, or on an ephemeral port when that one is taken, so that
 * `pnpm demo` starts even when something else already holds the default.
 * @returns the URL the server answers on
 */
export async function listenWithFallback(
  server: Pick<DemoServer, 'listen'>,
  port: number,
  host = '127.0.0.1',
): Promise<string> {
  try {
    return await server.listen(port, host);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || port === 0) throw err;
    return server.listen(0, host);
  }
}
