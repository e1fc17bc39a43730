import type { Fault, FaultPlan, LoggedRequest, PlannedRequest } from '../../packages/testing/src/proxy/index.ts';
import { FaultProxy } from '../../packages/testing/src/proxy/index.ts';
import type { Sessions } from './Sessions.ts';
import { TestApi } from './TestApi.ts';
import type { Applied, MountedApp } from './TestApi.ts';

export type { Applied, Fault, FaultPlan, LoggedRequest, MountedApp, PlannedRequest };

/** A status fault with a JSON body, as an app's API or a gateway answers one. */
export const json = (status: number, body: unknown, headers: Record<string, string> = {}): Fault => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

/** API requests the plan sees and the log holds: every one under `/api/` but signing in and out. */
const isApi = ({ path }: { path: string }): boolean =>
  path.startsWith('/api/') && path !== '/api/login' && path !== '/api/logout';

/**
 * The end-to-end tests' server: `@ferry/testing`'s {@link FaultProxy} in
 * front of the whole {@link TestApi} (the page and the worker pass as they
 * are), so a test plans faults per API request (or per op of a batch) with
 * {@link plan}, reads the wire in {@link received} and the effects in
 * {@link applied}, and hands both to the kit's checker.
 */
export class TestServer {
  readonly api: TestApi;
  readonly proxy: FaultProxy;

  private constructor(api: TestApi, proxy: FaultProxy) {
    this.api = api;
    this.proxy = proxy;
  }

  static async start(staticDir: string): Promise<TestServer> {
    const api = await TestApi.start(staticDir);
    // The plan also sees a mounted app's writes (its reads pass, as the page's and the worker's scripts do).
    const mounted = ({ method, path }: PlannedRequest): boolean =>
      method !== 'GET' && api.mounted !== undefined && path.startsWith(api.mounted.prefix);
    return new TestServer(api, await FaultProxy.start({ target: api.url, match: (r) => isApi(r) || mounted(r) }));
  }

  /** The origin the browser opens: the proxy's. */
  get url(): string {
    return this.proxy.url;
  }

  /** What reached the server, in order (an entry per op of a batch), with what each client heard. */
  get received(): LoggedRequest[] {
    return this.proxy.log;
  }

  get applied(): Applied[] {
    return this.api.applied;
  }

  get sessions(): Sessions {
    return this.api.sessions;
  }

  /** Chooses each API request's fault; every request passes until a test sets one. */
  get plan(): FaultPlan {
    return this.proxy.plan;
  }

  set plan(plan: FaultPlan) {
    this.proxy.plan = plan;
  }

  /** Requests received with this key. */
  sent(key: string): LoggedRequest[] {
    return this.received.filter((r) => r.key === key);
  }

  /** A fresh API and wire for the next test: no log, no effects, no keys, no faults. */
  reset(): void {
    this.proxy.reset();
    this.proxy.plan = () => 'pass';
    this.api.reset();
  }

  async close(): Promise<void> {
    await this.proxy.close();
    await this.api.close();
  }
}
