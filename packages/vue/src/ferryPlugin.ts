import type { FerryClient } from '@ferry/client';
import type { FerryStatusSource } from '@ferry/client/status';
import { FerryError } from '@ferry/core';
import type { InjectionKey, Plugin } from 'vue';
import { hasInjectionContext, inject, provide } from 'vue';

/** What {@link ferryPlugin} and {@link provideFerry} give the composables. */
export interface FerryOptions {
  /** The app's one client, made once outside components (`createFerryClient()`). */
  client: FerryClient;
  /**
   * The client's status snapshot, made once outside components (`createFerryStatus(client)` from
   * `@ferry/client/status`), for `useFerryStatus`. @default undefined: `useFerryStatus` throws
   */
  status?: FerryStatusSource;
}

const FERRY: InjectionKey<FerryOptions> = Symbol('ferry');

/** `app.use(ferryPlugin({ client, status }))`: gives every component of the app `client` (and `status`). */
export function ferryPlugin(options: FerryOptions): Plugin {
  return { install: (app) => void app.provide(FERRY, { client: options.client, status: options.status }) };
}

/** Gives the components below the calling one `client` (and `status`); call it in `setup()`. */
export function provideFerry(options: FerryOptions): void {
  provide(FERRY, { client: options.client, status: options.status });
}

function injectFerry(): FerryOptions {
  const ferry = hasInjectionContext() ? inject(FERRY, null) : null;
  if (!ferry)
    throw new FerryError(
      'invalid-config',
      '@ferry/vue: no app.use(ferryPlugin({ client })) or provideFerry() above this',
    );
  return ferry;
}

/** The client given to {@link ferryPlugin} or {@link provideFerry}; throws without one. */
export function useFerry(): FerryClient {
  return injectFerry().client;
}

/** The status snapshot given to {@link ferryPlugin} or {@link provideFerry}; throws without one. */
export function useFerryStatusSource(): FerryStatusSource {
  const { status } = injectFerry();
  if (!status)
    throw new FerryError(
      'invalid-config',
      '@ferry/vue: useFerryStatus needs ferryPlugin({ client, status: createFerryStatus(client) })',
    );
  return status;
}
