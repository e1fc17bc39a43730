/**
 * CDP on a service worker: Playwright opens CDP sessions on pages only, so
 * this attaches to the worker's target through a page's session
 * (`Target.attachToTarget`, not flattened) and exchanges messages with it
 * over `Target.sendMessageToTarget`.
 */
import type { BrowserContext, CDPSession, Page } from 'playwright';

export interface WorkerCdp {
  send<T = unknown>(method: string, params?: Record<string, unknown>): Promise<T>;
  detach(): Promise<void>;
}

interface TargetInfo {
  targetId: string;
  type: string;
  url: string;
}

/** Attaches to the service worker whose script URL starts with `scriptUrl`. */
export async function attachToWorker(context: BrowserContext, page: Page, scriptUrl: string): Promise<WorkerCdp> {
  const session: CDPSession = await context.newCDPSession(page);
  const { targetInfos } = (await session.send('Target.getTargets')) as { targetInfos: TargetInfo[] };
  const target = targetInfos.find((t) => t.type === 'service_worker' && t.url.startsWith(scriptUrl));
  if (!target)
    throw new Error(
      `no service worker target for ${scriptUrl}: ${targetInfos.map((t) => `${t.type} ${t.url}`).join(', ')}`,
    );
  const { sessionId } = (await session.send('Target.attachToTarget', {
    targetId: target.targetId,
    flatten: false,
  })) as { sessionId: string };
  let n = 0;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  session.on('Target.receivedMessageFromTarget', (event: { sessionId: string; message: string }) => {
    if (event.sessionId !== sessionId) return;
    const msg = JSON.parse(event.message) as { id?: number; result?: unknown; error?: { message: string } };
    const p = msg.id === undefined ? undefined : pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id as number);
    if (msg.error) p.reject(new Error(msg.error.message));
    else p.resolve(msg.result);
  });
  return {
    send: <T>(method: string, params: Record<string, unknown> = {}) =>
      new Promise<T>((resolve, reject) => {
        const id = ++n;
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        session
          .send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params }) })
          .catch(reject);
      }),
    detach: async () => {
      await session.send('Target.detachFromTarget', { sessionId }).catch(() => {});
      await session.detach().catch(() => {});
    },
  };
}
