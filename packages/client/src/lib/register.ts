import type { PageMode, PageTarget } from '../types.ts';
import type { PostTarget } from './requester.ts';

/** Where the client's requests go: the worker controlling the page, or the host in the page. */
export interface Connection {
  /** The target of the next request, looked up each time: a restarted or updated worker is the one reached. */
  target(): Promise<PostTarget | undefined>;
  /** See `FerryClient.register`. */
  register(
    script?: string | URL | ServiceWorkerRegistration,
    options?: RegistrationOptions,
  ): Promise<ServiceWorkerRegistration | undefined>;
  /** Closes the host in the page, if one was started. */
  close(): Promise<void>;
}

/**
 * Connects to the service worker, or, in page mode (`page.always`, or no
 * `navigator.serviceWorker`), to the host in the page, started at the first
 * request. Never registers a second worker over the app's own.
 */
export function connection(container: () => ServiceWorkerContainer | undefined, page?: PageMode): Connection {
  const inPage = page?.always === true || !container();
  let host: PageTarget | undefined;
  let registration: ServiceWorkerRegistration | undefined;

  const target = async (): Promise<PostTarget | undefined> => {
    if (inPage) return (host ??= page?.host());
    const sw = container() as ServiceWorkerContainer;
    return sw.controller ?? registration?.active ?? (await sw.ready).active ?? undefined;
  };

  const register: Connection['register'] = async (script, opts) => {
    if (inPage) return undefined;
    const sw = container() as ServiceWorkerContainer;
    let reg: ServiceWorkerRegistration;
    // The app's own registration, or the one controlling the page: never a second worker over the app's.
    if (script === undefined) reg = await sw.ready;
    else if (typeof script === 'object' && !(script instanceof URL)) reg = script;
    else
      try {
        reg = await sw.register(script, opts);
      } catch (err) {
        // Offline, the update check cannot fetch the script: the installed worker still does the job.
        const installed = await sw.getRegistration(opts?.scope ?? '');
        if (!installed?.active) throw err;
        reg = installed;
      }
    registration = reg;
    const w = reg.installing ?? reg.waiting;
    if (!reg.active && w) await activated(w);
    return reg;
  };

  return { target, register, close: async () => void (await host?.close?.()) };
}

/** Resolves once `worker` is activated (or was replaced: redundant). */
function activated(worker: ServiceWorker): Promise<void> {
  return new Promise<void>((resolve) => {
    const on = (): void => {
      if (worker.state !== 'activated' && worker.state !== 'redundant') return;
      worker.removeEventListener('statechange', on);
      resolve();
    };
    worker.addEventListener('statechange', on);
    on();
  });
}
