import { PGlite } from '@electric-sql/pglite';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { DemoServer, DemoServerOptions } from './createDemoServer.ts';
import { createDemoServer } from './createDemoServer.ts';

/**
 * For a test file of the demo server: one embedded database for the file
 * (PGlite takes seconds to start), tables of its own for each server, and
 * every server closed after its test. With `dataDir` a server opens its own
 * database on disk instead.
 */
export function useDemoServers(): (options?: DemoServerOptions) => DemoServer {
  let db: PGlite;
  let made = 0;
  const servers: DemoServer[] = [];
  beforeAll(async () => {
    db = new PGlite();
    await db.waitReady;
  }, 60_000);
  afterAll(() => db.close());
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  return (options = {}) => {
    const server = createDemoServer(options.dataDir ? options : { db, tables: `t${++made}_`, ...options });
    servers.push(server);
    return server;
  };
}
