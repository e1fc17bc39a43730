// Put in front of packages/server/docs/hono.md's example when consumer.ts runs it: the auth
// middleware and the save function the example leaves to the app.
// The example that follows this prelude in the same file calls what it declares.
// oxlint-disable no-unused-vars
import type { MiddlewareHandler } from 'hono';

export const saved: unknown[] = [];
const auth: MiddlewareHandler = async (c, next) => {
  const user = c.req.header('x-user');
  if (!user) return c.json({ error: 'sign in' }, 401);
  c.set('user', user);
  await next();
};
const save = async (message: unknown): Promise<{ id: number }> => ({ id: saved.push(message) });
