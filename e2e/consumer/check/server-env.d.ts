// What the snippets of packages/server/README.md and its docs leave to the app, declared as an app
// would define them, so that the snippets type-check as written (consumer.ts).
declare function sessionUser(req: Request): string | null;
declare function app(req: Request, sql?: import('@ferry/server').Sql): Promise<Response>;
declare function userIdFromSession(cookie: string | null): string | null;
declare function save(message: unknown): Promise<{ id: string }>;
declare function verify(authorization: string | null): Promise<{ sub: string } | null>;
declare function route(req: Request): Promise<{ id: string }>;
declare const auth: import('hono').MiddlewareHandler;
/** The one Bun API the Fetch runtime example calls. */
declare const Bun: { serve(options: { port: number; fetch: (req: Request) => Response | Promise<Response> }): unknown };
