// What the docs' page and worker snippets leave to the app, declared as an app would define them, so
// that the snippets type-check as written (scripts/docs/snippets.ts). The server snippets' names are in
// e2e/consumer/check/server-env.d.ts.
declare function token(): Promise<string>;
declare function showReloadPrompt(accept: () => void): void;
