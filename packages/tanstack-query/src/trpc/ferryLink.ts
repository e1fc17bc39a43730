import type { FerryClient } from '@ferry/client';
import type { JsonValue } from '@ferry/core';
import { FerryError } from '@ferry/core';
import type { TRPCLink } from '@trpc/client';
import { TRPCClientError } from '@trpc/client';
import type { AnyTRPCRouter } from '@trpc/server';
import { observable } from '@trpc/server/observable';
import { DeadLetterError } from '../DeadLetterError.ts';

/** A data transformer as tRPC's `transformer` option takes one (superjson's shape). */
export interface FerryLinkTransformer {
  /** Turns a call's input into the JSON the op carries. */
  serialize(value: unknown): unknown;
  /** Turns the answer's `result.data` into the call's output. */
  deserialize(value: unknown): unknown;
}

/** Where {@link ferryLink} sends a call, and how. */
export interface FerryLinkOptions {
  /** The page's Ferry client. */
  ferry: FerryClient;
  /** The tRPC endpoint, as `httpLink`'s `url`: a same-origin path (`/trpc`) or an allow-listed origin's URL. */
  url: string;
  /** The op's lane for a call: calls of a lane reach the server in call order. @default Ferry's `default` lane */
  lane?: (call: { path: string; input: unknown }) => string;
  /** The router's transformer, if it has one. @default none: inputs and outputs are plain JSON */
  transformer?: FerryLinkTransformer;
}

const isErrorShape = (body: unknown): body is { error: object } =>
  typeof body === 'object' && body !== null && 'error' in body && typeof body.error === 'object';

/**
 * A tRPC link that sends each mutation through Ferry: the call enqueues an op (`kind` `trpc:<path>`,
 * `POST <url>/<path>` with the input as its JSON body, tRPC's own wire format) and settles when the op does, with the
 * procedure's output once done, or a `TRPCClientError` once the op is a dead letter (the server's tRPC error when it
 * answered one, the {@link DeadLetterError} as its `cause`). Queries and subscriptions are refused: put it on the
 * mutation side of a `splitLink`. Unsubscribing (an aborted call) leaves the op queued: it is still delivered.
 */
export function ferryLink<TRouter extends AnyTRPCRouter>(options: FerryLinkOptions): TRPCLink<TRouter> {
  const { ferry, url, lane, transformer } = options;
  if (typeof url !== 'string' || url === '') throw new FerryError('invalid-argument', 'url must be a non-empty string');
  const base = url.replace(/\/+$/, '');
  return () =>
    ({ op }) =>
      observable((observer) => {
        if (op.type !== 'mutation') {
          observer.error(TRPCClientError.from(new FerryError('invalid-argument', 'ferryLink sends mutations only')));
          return;
        }
        const input = transformer ? transformer.serialize(op.input) : op.input;
        const opLane = lane?.({ path: op.path, input: op.input });
        ferry
          .enqueue({
            kind: `trpc:${op.path}`,
            target: `${base}/${op.path}`,
            payload: (input ?? null) as JsonValue,
            ...(opLane !== undefined && { lane: opLane }),
          })
          .then((id) => ferry.whenDone(id))
          .then((done) => {
            const body = done.answer?.body;
            if (done.status === 'failed') {
              const dead = new DeadLetterError(done);
              throw isErrorShape(body) ? TRPCClientError.from(body, { cause: dead }) : dead;
            }
            const data = (body as { result?: { data?: unknown } } | undefined)?.result?.data;
            observer.next({ result: { type: 'data', data: transformer ? transformer.deserialize(data) : data } });
            observer.complete();
          })
          .catch((err: Error) => observer.error(err instanceof TRPCClientError ? err : TRPCClientError.from(err)));
      });
}
