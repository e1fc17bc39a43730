import type { JsonValue, OperationInput } from '@ferry/core';
import { keptHeaders } from './headerStore.ts';

/** The methods a request may have to become an op: the ones that change something. */
export const QUEUED_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** How a request becomes an op (the plugin's options that shape it). */
export interface InputRules {
  kind?: (request: Request) => string;
  lane?: (request: Request) => string;
  user?: string | ((request: Request) => string | undefined | Promise<string | undefined>);
  dropHeaders?: readonly string[];
}

export const DEFAULT_LANE = 'workbox';

/** What a request becomes: the op, and the app's headers kept apart. */
export interface QueuedRequest {
  op: OperationInput;
  headers: Record<string, string>;
}

/** The op's user, as the `user` option says for `request`; undefined: nobody's. */
export async function userOf(request: Request, rules: InputRules): Promise<string | undefined> {
  const { user } = rules;
  return typeof user === 'function' ? await user(request) : user;
}

/**
 * Makes `request` an op: method, URL, JSON body as the payload, its user, its
 * `Idempotency-Key` as the op's key; the app's other headers kept apart.
 * Undefined when it cannot be one: a method that changes nothing (GET, HEAD,
 * OPTIONS) or a body that is not JSON.
 */
export async function toInput(request: Request, rules: InputRules): Promise<QueuedRequest | undefined> {
  const method = request.method.toUpperCase();
  if (!QUEUED_METHODS.has(method)) return undefined;
  const url = new URL(request.url);
  const text = await request.text();
  let payload: JsonValue = null;
  if (text !== '') {
    try {
      payload = JSON.parse(text) as JsonValue;
    } catch {
      return undefined;
    }
  }
  const user = await userOf(request, rules);
  const op: OperationInput = {
    kind: rules.kind?.(request) ?? `${request.method} ${url.pathname}`,
    target: url.origin === globalThis.location?.origin ? `${url.pathname}${url.search}` : url.href,
    lane: rules.lane?.(request) ?? DEFAULT_LANE,
    payload,
    method: method as OperationInput['method'],
    ...(user !== undefined && { user }),
  };
  const key = request.headers.get('idempotency-key');
  if (key) op.idempotencyKey = key;
  return { op, headers: keptHeaders(request, rules.dropHeaders) };
}
