/**
 * The bench's loopback server: one Node http handler listening on one port
 * per side (Ferry, workbox, floor...), so that each side is its own origin,
 * with its own IndexedDB and service-worker registration. It serves the built
 * pages and worker bundles, and the API: `POST /api/...` answers 200 after
 * `delayMs`, recording the arrival order of ops per origin and lane;
 * `POST /api/batch` answers every op of a batch in one response, after the same delay.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.json': 'application/json' };

/** What the API saw on one origin. */
export interface ApiLog {
  /** Ops answered (a batch request counts each op in it). */
  count: number;
  /** Wall-clock ms when the first API request since the last reset arrived. */
  firstAt?: number;
  /** Per lane, the `seq` of each payload in arrival order. */
  lanes: Map<string, number[]>;
}

export interface BenchServer {
  /** Origin (`http://127.0.0.1:port`) per side name. */
  origins: Record<string, string>;
  /** How long the API waits before answering. */
  delayMs: number;
  log(side: string): ApiLog;
  resetLog(side: string): void;
  close(): Promise<void>;
}

/** Starts one listener per side on 127.0.0.1, ephemeral ports, serving `dist` and the API. */
export async function startBenchServer(dist: string, sides: readonly string[]): Promise<BenchServer> {
  const logs = new Map<string, ApiLog>();
  const servers: Server[] = [];
  const origins: Record<string, string> = {};
  const state: BenchServer = {
    origins,
    delayMs: 20,
    log: (side) => logs.get(side) as ApiLog,
    resetLog: (side) => void logs.set(side, { count: 0, lanes: new Map() }),
    close: () =>
      Promise.all(servers.map((s) => new Promise<void>((r) => (s.closeAllConnections(), s.close(() => r()))))).then(
        () => {},
      ),
  };
  for (const side of sides) {
    state.resetLog(side);
    const server = createServer((req, res) => void handle(side, req, res));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origins[side] = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async function handle(side: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname.startsWith('/api/')) {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const log = state.log(side);
      log.firstAt ??= Date.now();
      const see = (payload: { lane?: unknown; seq?: unknown } | null | undefined): void => {
        if (payload && typeof payload.lane === 'string' && typeof payload.seq === 'number') {
          const lane = log.lanes.get(payload.lane) ?? [];
          lane.push(payload.seq);
          log.lanes.set(payload.lane, lane);
        }
      };
      // `/api/batch` (Ferry's batch mode): every op in it is seen and answered, in order, in one response.
      let ops = 1;
      let reply = '{"ok":true}';
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString() || 'null') as {
          lane?: string;
          seq?: number;
          ops?: { payload?: { lane?: unknown; seq?: unknown } }[];
        } | null;
        if (url.pathname === '/api/batch' && Array.isArray(body?.ops)) {
          body.ops.forEach((op) => see(op.payload));
          ops = body.ops.length;
          reply = JSON.stringify({ results: body.ops.map(() => ({ status: 200 })) });
        } else see(body);
      } catch {
        // Not a bench payload: counted, not ordered.
      }
      const answer = (): void => {
        log.count += ops;
        res.writeHead(200, { 'content-type': 'application/json' }).end(reply);
      };
      if (state.delayMs > 0) setTimeout(answer, state.delayMs);
      else answer();
      return;
    }
    if (url.pathname === '/favicon.ico') return void res.writeHead(204).end();
    const path = normalize(decodeURIComponent(url.pathname)).replace(/^(\.\.[/\\])+/, '');
    try {
      const body = await readFile(join(dist, path.endsWith('/') ? `${path}index.html` : path));
      // Workers are fetched fresh: every run builds new bundles.
      res
        .writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'text/html', 'cache-control': 'no-store' })
        .end(body);
    } catch {
      res.writeHead(404).end();
    }
  }
  return state;
}

/** True when every lane's `seq`s arrived in increasing order. */
export function inOrder(log: ApiLog): boolean {
  for (const seqs of log.lanes.values())
    for (let i = 1; i < seqs.length; i++) if ((seqs[i] as number) <= (seqs[i - 1] as number)) return false;
  return true;
}
