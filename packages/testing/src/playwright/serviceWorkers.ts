import type { CDPSession, Page } from 'playwright';

interface Registration {
  registrationId: string;
  scopeURL: string;
  isDeleted: boolean;
}

/**
 * The browser's service workers through the DevTools protocol (Chromium
 * only): stop them all, as the browser stops an idle or misbehaving one, and
 * fire a Background Sync event, as the browser does when it sees the network.
 */
export class ServiceWorkers {
  /**
   * The span `[from, to]` (wall-clock ms) of each {@link stopAll}: pass them to
   * `checkDelivery` as `workerStops`.
   */
  readonly stops: (readonly [number, number])[] = [];
  readonly #session: CDPSession;
  readonly #registrations = new Map<string, Registration>();

  private constructor(session: CDPSession) {
    this.#session = session;
  }

  /** Attaches to `page`'s browser context. */
  static async attach(page: Page): Promise<ServiceWorkers> {
    const workers = new ServiceWorkers(await page.context().newCDPSession(page));
    workers.#session.on('ServiceWorker.workerRegistrationUpdated', (e) => {
      for (const r of e.registrations) workers.#registrations.set(r.registrationId, r);
    });
    await workers.#session.send('ServiceWorker.enable');
    return workers;
  }

  /** Stops every service worker of the browser at once; the next event or message starts a fresh one. */
  async stopAll(): Promise<void> {
    const from = Date.now();
    await this.#session.send('ServiceWorker.stopAllWorkers');
    this.stops.push([from, Date.now()]);
  }

  /**
   * Fires a Background Sync `sync` event with `tag` at the registration of
   * `origin` (the newest, when there are several).
   * @param options.tag @default 'ferry' (the tag of a host without a `name`)
   * @param options.lastChance @default false
   */
  async dispatchSync(origin: string, options: { tag?: string; lastChance?: boolean } = {}): Promise<void> {
    const deadline = Date.now() + 10_000;
    let reg: Registration | undefined;
    while ((reg = this.#live(origin)) === undefined && Date.now() < deadline) await sleep(50);
    if (reg === undefined) throw new Error(`no service worker registration for ${origin} within 10 s`);
    await this.#session.send('ServiceWorker.dispatchSyncEvent', {
      origin,
      registrationId: reg.registrationId,
      tag: options.tag ?? 'ferry',
      lastChance: options.lastChance ?? false,
    });
  }

  async detach(): Promise<void> {
    await this.#session.detach();
  }

  #live(origin: string): Registration | undefined {
    const scope = `${new URL(origin).origin}/`;
    return [...this.#registrations.values()].filter((r) => !r.isDeleted && r.scopeURL.startsWith(scope)).at(-1);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
