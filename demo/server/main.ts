/**
 * `pnpm demo`'s server: the reference server over the built page, keeping
 * messages and idempotency keys in an embedded database (PGlite) in `demo/.data/db`. Run it after `vite build` (see
 * demo/build.ts); `PORT` picks the port (default 5173, or any free one when
 * that is taken).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDemoServer } from './createDemoServer.ts';
import { listenWithFallback } from './listenWithFallback.ts';

const demoDir = dirname(dirname(fileURLToPath(import.meta.url)));
const staticDir = process.env.FERRY_DEMO_DIST ?? join(demoDir, 'dist');
if (!existsSync(join(staticDir, 'index.html'))) {
  console.error(`demo: no build in ${staticDir}; run \`pnpm --filter @ferry/demo build\` first`);
  process.exit(1);
}

const server = createDemoServer({ dataDir: join(demoDir, '.data', 'db'), staticDir });
const url = await listenWithFallback(server, Number(process.env.PORT ?? 5173));
console.log(
  `\n  Ferry demo: ${url}/\n\n  ${(await server.messages()).length} message(s) kept in demo/.data/db (PGlite). Ctrl-C stops.\n`,
);

const stop = (): void => void server.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
