/**
 * `@ferry/devtools`: a panel that answers "why hasn't this write arrived?". `mountFerryDevtools(client)` puts
 * `<ferry-devtools>` on the page, `ferryDevtoolsPlugin(client)` into TanStack Devtools; either loads the panel's
 * code on first use. The host serves it when given `devtoolsHost` from `@ferry/sw/devtools`.
 */
export { mountFerryDevtools } from './mount.ts';
export type { MountOptions } from './mount.ts';
export { ferryDevtoolsPlugin } from './tanstackPlugin.ts';
export type { FerryDevtoolsPlugin } from './tanstackPlugin.ts';
export type { FerryDevtoolsElement } from './panel/FerryDevtoolsElement.ts';
export type { DevtoolsSource } from './panel/DevtoolsSource.ts';
