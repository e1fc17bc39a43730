/** The reference server's control and listing routes (the page's own fetches; Ferry sends from the worker). */

import type { FaultSettings } from '../server/Faults.ts';

/** The server's fault switches: one definition, shared with the server (a type, erased from the page bundle). */
export type Faults = FaultSettings;

export interface ServerMessage {
  id?: string;
  text: string;
  conversation?: string;
  seq: number;
  receivedAt: number;
  /** Who sent it, as the server verified from the request's token; null when it came without one. */
  author?: string | null;
}

async function json<T>(res: Response): Promise<T> {
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return (await res.json()) as T;
}

export const getFaults = (): Promise<Faults> => fetch('/api/faults').then((r) => json<Faults>(r));

export const putFaults = (patch: Partial<Faults>): Promise<Faults> =>
  fetch('/api/faults', {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(patch),
  }).then((r) => json<Faults>(r));

/** Signs `user` in with the demo server: a signed bearer token and when it expires. */
export async function login(user: string): Promise<{ token: string; expiresAt: number }> {
  return json(
    await fetch('/api/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user }),
    }),
  );
}

export const getServerMessages = (): Promise<ServerMessage[]> =>
  fetch('/api/messages', { cache: 'no-store' })
    .then((r) => json<{ messages: ServerMessage[] }>(r))
    .then((b) => b.messages);
