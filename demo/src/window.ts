import type { FerryClient } from '@ferry/client';

/** What the page puts on `window.demo`, for tests and the curious. */
export interface DemoHandle {
  client: FerryClient;
  /** Resolves once the worker is active, the outbox is loaded and the composer is live. */
  ready: Promise<void>;
}

declare global {
  interface Window {
    demo: DemoHandle;
  }
}
