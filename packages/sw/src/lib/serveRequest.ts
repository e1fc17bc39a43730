import type { FerryErrorData } from '@ferry/core';
import { FerryError, checkUserId } from '@ferry/core';
import type { EnqueueOutcome, PingResult, Reply, Request, Results } from '../protocol.ts';
import type { Engine } from './buildEngine.ts';
import { checkCredentials } from './credentials.ts';
import type { ReplyPort } from './platform.ts';
import { statusOf } from './statusOf.ts';

/** A request's result, and the work (a drain) its caller starts once the reply is out. */
export type Handled = { result: unknown; after?: () => Promise<void> };

/** What serving needs of the host besides the engine. */
export interface ServeContext {
  /** Drains the queue; never rejects. */
  wake: () => Promise<void>;
  /** The parts of `ping` only the host knows. */
  ping: () => Omit<PingResult, 'owner' | 'storageLost'>;
}

/** Runs a validated request on `engine`. `after`, when set, is the drain the request asks for: start it once answered. */
export async function serveRequest(engine: Engine, req: Request, ctx: ServeContext): Promise<Handled> {
  const { outbox, worker, lost, witnessed, credentials } = engine;
  const { wake } = ctx;
  const done = <K extends keyof Results>(result: Results[K], after?: () => Promise<void>): Handled => (after ? { result, after } : { result });
  switch (req.type) {
    case 'enqueue':
      return done<'enqueue'>(await outbox.enqueue(req.op), wake);
    case 'enqueueBatch': {
      // Started in one synchronous loop, the enqueues share one group commit; each settles on its own.
      const outcomes = await Promise.all(req.ops.map((op) => outbox.enqueue(op).then((stored): EnqueueOutcome => stored.id, toWire)));
      return done<'enqueueBatch'>(outcomes, outcomes.some((o) => typeof o === 'string') ? wake : undefined);
    }
    case 'get':
      return done<'get'>((await outbox.get(req.opId)) ?? null);
    case 'list':
      return done<'list'>(await outbox.list(req.query));
    case 'stats':
      return done<'stats'>(await outbox.stats(req.query ?? {}));
    case 'status':
      return done<'status'>({ ...(await statusOf(outbox, req.doneSince)), online: ctx.ping().online });
    case 'setCredentials': {
      const entry = checkCredentials(req.user, req.credentials, engine.origin(), engine.origins.list);
      credentials.set(entry);
      await engine.persistCredentials();
      // The user's held lanes go again; one still lacking credentials for another origin is held again at its claim.
      await outbox.release((op) => op.user === entry.user);
      return done<'setCredentials'>(null, wake);
    }
    case 'signOut': {
      const user = checkUserId(req.user, 'user', 'invalid-argument');
      credentials.forget(user);
      await engine.persistCredentials();
      const { pending, inflight, failed } = await outbox.stats({ user });
      const discarded = req.discard ? await outbox.discardUser(user) : 0;
      return done<'signOut'>({ unsent: pending + inflight + failed, discarded });
    }
    case 'retry':
      return done<'retry'>(await outbox.retry(req.opId), wake);
    case 'retryAll':
      return done<'retryAll'>(await outbox.retryAll(req.filter), wake);
    case 'discard':
      return done<'discard'>(await outbox.discard(req.opId));
    case 'cancel':
      return done<'cancel'>(await outbox.cancel(req.opId));
    case 'update':
      return done<'update'>(await outbox.update(req.opId, req.patch));
    case 'syncNow':
      await wake();
      return done<'syncNow'>(await outbox.stats());
    case 'kick':
      return done<'kick'>(null, wake);
    case 'ping':
      await witnessed;
      return done<'ping'>({ owner: worker.owner, ...ctx.ping(), storageLost: [...lost] });
  }
}

/** Answers on the page's port; a page that is gone has nobody left to tell. */
export function reply(port: ReplyPort | undefined, message: Reply): void {
  try {
    port?.postMessage(message);
  } catch {
    // The page is gone or closed its port.
  }
}

/** Errors cross as `{ code, message }` (SPEC, Errors). */
export function toWire(err: unknown): FerryErrorData {
  if (err instanceof FerryError) return err.toJSON();
  // Not Ferry's own: a bug, or the platform failing in a way nothing mapped. Stores map their
  // own failures (quota, unavailable) to FerryErrors, so what reaches here is reported as such.
  return { code: 'internal', message: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
}
