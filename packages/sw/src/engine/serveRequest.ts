import type { Timers } from '@ferry/core';
import { FerryError, systemTimers } from '@ferry/core';
import { errorData } from '@ferry/core/internal';
import type { EnqueueOutcome, PingResult, Reply, Request, Results } from '@ferry/core/protocol';
import type { OperationInput } from '@ferry/core';
import type { Engine } from './buildEngine.ts';
import { NEEDS_AUTH } from '../http/sessions.ts';
import type { DevtoolsHost } from '../options.ts';
import type { ReplyPort } from '../platform.ts';
import { statusOf } from './statusOf.ts';

/** A request's result, and the work (a drain) its caller starts once the reply is out. */
export type Handled = { result: unknown; after?: () => Promise<void> };

/** What serving needs of the host besides the engine. */
export interface ServeContext {
  /** Drains the queue; never rejects. */
  wake: () => Promise<void>;
  /** The parts of `ping` only the host knows. */
  ping: () => Omit<PingResult, 'owner' | 'storageLost'>;
  /** @default the global timers */
  timers?: Timers;
  /** Where failures of work done after a reply go. @default nowhere */
  onError?: (err: unknown) => void;
  /** Serves the DevTools panel's requests. @default none: they are refused with `unsupported` */
  devtools?: DevtoolsHost | undefined;
}

/**
 * What a page asked that needs the credentials feature, on a host built without it: refused with `unsupported`
 * naming the entry to add (an op stamped with a user is sent only with that user's credentials).
 */
function withoutUsers(what: string): FerryError {
  return new FerryError(
    'unsupported',
    `${what} needs a host built with credentials() from '@ferry/sw/credentials' (createFerryHost({ credentials: credentials() }))`,
  );
}

/** Runs a validated request on `engine`. `after`, when set, is the drain the request asks for: start it once answered. */
export async function serveRequest(engine: Engine, req: Request, ctx: ServeContext): Promise<Handled> {
  const { outbox, worker, lost, witness, users } = engine;
  const { wake } = ctx;
  const enqueue = (op: OperationInput) =>
    users || op.user === undefined ? outbox.enqueue(op) : Promise.reject(withoutUsers('an op with a user'));
  const done = <K extends keyof Results>(result: Results[K], after?: () => Promise<void>): Handled =>
    after ? { result, after } : { result };
  switch (req.type) {
    case 'enqueue':
      return done<'enqueue'>(await enqueue(req.op), wake);
    case 'enqueueBatch': {
      // Started in one synchronous loop, the enqueues share one group commit; each settles on its own.
      const outcomes = await Promise.all(
        req.ops.map((op) => enqueue(op).then((stored): EnqueueOutcome => stored.id, toWire)),
      );
      return done<'enqueueBatch'>(outcomes, outcomes.some((o) => typeof o === 'string') ? wake : undefined);
    }
    case 'get':
      return done<'get'>((await outbox.get(req.opId)) ?? null);
    case 'list':
      return done<'list'>(await outbox.list(req.query));
    case 'stats':
      return done<'stats'>(await outbox.stats(req.query ?? {}));
    case 'status':
      return done<'status'>({ ...(await statusOf(outbox, req.doneSince, req.user)), online: ctx.ping().online });
    case 'signIn':
    case 'setCredentials':
    case 'signOut':
      if (!users) throw withoutUsers(req.type);
      return users.serve(engine, req, ctx);
    case 'retry': {
      if ('filter' in req) return done<'retry'>(await outbox.retry(req.filter), wake);
      // A pending op held for its session: the retry releases its user's holds (it keeps its place).
      const op = await outbox.get(req.opId);
      if (op?.status === 'pending' && op.held?.startsWith(NEEDS_AUTH)) {
        await engine.releaseSessions((user) => user === op.user);
        return done<'retry'>((await outbox.get(req.opId)) ?? op, wake);
      }
      return done<'retry'>(await outbox.retry(req.opId), wake);
    }
    case 'remove':
      return done<'remove'>(await outbox.remove(req.opId));
    case 'update':
      return done<'update'>(await outbox.update(req.opId, req.patch));
    case 'syncNow': {
      // The app asks to try now: sessions held for a refusal are tried again (and held again if still refused).
      await engine.releaseSessions(() => true);
      // Answered once the drain settled, or after `waitMs` while it goes on (the page's request would time out).
      const drain = wake();
      const timers = ctx.timers ?? systemTimers;
      const settled = req.waitMs === undefined ? (await drain, true) : await within(drain, req.waitMs, timers);
      return done<'syncNow'>(await outbox.stats(), settled ? undefined : () => drain);
    }
    case 'kick':
      return done<'kick'>(null, wake);
    case 'history':
      if (!ctx.devtools) throw new FerryError('unsupported', 'history needs the devtools option');
      return done<'history'>(await ctx.devtools.history(outbox.store, req.query));
    case 'pauses':
      if (!ctx.devtools) throw new FerryError('unsupported', 'pauses needs the devtools option');
      if (!engine.pauses) throw new FerryError('unsupported', "pauses needs the host's HTTP transport");
      return done<'pauses'>(ctx.devtools.pauses(engine.pauses, req.pause));
    case 'ping':
      await witness();
      return done<'ping'>({ owner: worker.owner, ...ctx.ping(), storageLost: [...lost] });
  }
}

/** Whether `work` settles within `ms`. */
function within(work: Promise<void>, ms: number, timers: Timers): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = timers.setTimeout(() => resolve(false), Math.min(ms, 2 ** 31 - 1));
    void work.then(() => {
      timers.clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Answers on the page's port; a page that is gone has nobody left to tell. */
export function reply(port: ReplyPort | undefined, message: Reply): void {
  try {
    port?.postMessage(message);
  } catch {
    // The page is gone or closed its port.
  }
}

/** An error as it crosses to the page: `{ code, message }`, a FerryError's own code or `internal`. */
export const toWire = errorData;
