import type { FerryClient } from '@ferry/client';
import type { FerryStatusSource } from '@ferry/client/status';
import type { ReactNode } from 'react';
import { createContext, createElement, useContext } from 'react';

interface Ferry {
  client: FerryClient;
  status: FerryStatusSource | undefined;
}

const FerryContext = createContext<Ferry | null>(null);

export interface FerryProviderProps {
  /** The app's one client, made once outside React (`createFerryClient()`), not during render. */
  client: FerryClient;
  /**
   * The client's status snapshot, made once outside React (`createFerryStatus(client)` from
   * `@ferry/client/status`), for `useFerryStatus`. @default undefined: `useFerryStatus` throws
   */
  status?: FerryStatusSource;
  children?: ReactNode;
}

/** Gives the hooks below it `client` (and `status`). */
export function FerryProvider({ client, status, children }: FerryProviderProps): ReactNode {
  return createElement(FerryContext.Provider, { value: { client, status } }, children);
}

function useFerryContext(): Ferry {
  const ferry = useContext(FerryContext);
  if (!ferry) throw new Error('@ferry/react: a Ferry hook was used outside <FerryProvider client={…}>');
  return ferry;
}

/** The client of the nearest {@link FerryProvider}; throws outside one. */
export function useFerry(): FerryClient {
  return useFerryContext().client;
}

/** The status snapshot of the nearest {@link FerryProvider}; throws when it has none. */
export function useFerryStatusSource(): FerryStatusSource {
  const { status } = useFerryContext();
  if (!status) throw new Error('@ferry/react: useFerryStatus needs <FerryProvider status={createFerryStatus(client)}>');
  return status;
}
