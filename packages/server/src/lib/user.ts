/**
 * The header Ferry's transport sends with every op that has a user: the op's
 * `user`, percent-encoded (`encodeURIComponent`), so any user id fits in a
 * header value. It names whose op this is; it never authorises anything.
 */
export const USER_HEADER = 'ferry-user';

/**
 * Whether the request names a user (in {@link USER_HEADER}) other than the
 * one its verified session belongs to. A request that names nobody, or a
 * session that resolves to nobody, is not a mismatch: the app's own
 * authentication answers those.
 */
export function namesAnotherUser(req: Request, sessionUser: string | null): boolean {
  const named = req.headers.get(USER_HEADER);
  if (named === null || sessionUser === null || sessionUser === '') return false;
  return named !== encodeURIComponent(sessionUser);
}
