import type { FerryClient } from '@ferry/client';
import type { ReactNode } from 'react';
import { createContext, createElement, useContext } from 'react';

const FerryContext = createContext<FerryClient | null>(null);

export interface FerryProviderProps {
  /** The app's one client, made once outside React (`createFerryClient()`), not during render. */
  client: FerryClient;
  children?: ReactNode;
}

/** Gives the hooks below it `client`. */
export function FerryProvider({ client, children }: FerryProviderProps): ReactNode {
  return createElement(FerryContext.Provider, { value: client }, children);
}

/** The client of the nearest {@link FerryProvider}; throws outside one. */
export function useFerry(): FerryClient {
  const client = useContext(FerryContext);
  if (!client) throw new Error('@ferry/react: a Ferry hook was used outside <FerryProvider client={…}>');
  return client;
}
