// What the docs' page and worker snippets leave to the app, declared as an app would define them, so
// that the snippets type-check as written (scripts/docs/snippets.ts). The server snippets' names are in
// e2e/consumer/check/server-env.d.ts.
declare function token(): Promise<string>;
declare function showReloadPrompt(accept: () => void): void;
// A Vue app's single-file components, as its env.d.ts declares them (vue-tsc checks the components themselves).
declare module '*.vue' {
  const component: import('vue').DefineComponent;
  export default component;
}
