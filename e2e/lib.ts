import type { Page } from '@playwright/test';
import type { Operation, OperationInput } from '../packages/core/src/index.ts';

/** An op for the test API; `n` and `lane` end up in the body the server records. */
export function message(n: number, more: Partial<OperationInput> = {}): OperationInput {
  return { kind: 'message.send', target: '/api/messages', payload: { n, lane: more.lane ?? 'default' }, ...more };
}

/**
 * `page.evaluate` without Playwright's argument-type mapping, which recurses
 * without end over the recursive `JsonValue` in an op's payload (TS2589).
 */
export function inPage<A, R>(page: Page, fn: (arg: A) => R | Promise<R>, arg: A): Promise<R> {
  return (page.evaluate as (fn: (arg: A) => R | Promise<R>, arg: A) => Promise<R>).call(page, fn, arg);
}

export const enqueue = (page: Page, op: OperationInput): Promise<string> =>
  inPage(page, (op) => window.ferry.enqueue(op), op);

export const get = (page: Page, id: string): Promise<Operation | undefined> =>
  page.evaluate((id) => window.ferry.get(id), id);

export const whenDone = (page: Page, id: string): Promise<Operation> =>
  page.evaluate((id) => window.ferry.whenDone(id), id);

/** The idempotency key of a stored op. */
export async function keyOf(page: Page, id: string): Promise<string> {
  const op = await get(page, id);
  if (!op) throw new Error(`no op ${id}`);
  return op.idempotencyKey;
}
