import type { FerryClient } from '@ferry/client';

/** Where {@link mountFerryDevtools} puts the panel. */
export interface MountOptions {
  /** @default document.body */
  parent?: Element;
  /**
   * Whether the panel flows in `parent` (a side panel of the app's) rather than floating over the page with a
   * close button and a launcher to reopen it.
   * @default false
   */
  embedded?: boolean;
}

/**
 * Puts the DevTools panel (`<ferry-devtools>`) on the page for `client`, loading its code on first use
 * (a separate chunk): `if (import.meta.env.DEV) mountFerryDevtools(ferry)`, and a production build holds none
 * of it. Returns a cleanup that takes the panel away. The worker must serve it: see `@ferry/sw/devtools`.
 */
export function mountFerryDevtools(client: FerryClient, options: MountOptions = {}): () => void {
  let removed = false;
  let panel: Element | undefined;
  void import('./panel/FerryDevtoolsElement.ts').then(({ defineFerryDevtools }) => {
    if (removed) return;
    defineFerryDevtools();
    panel = Object.assign(document.createElement('ferry-devtools'), { client });
    if (options.embedded) panel.setAttribute('embedded', '');
    (options.parent ?? document.body).append(panel);
  });
  return () => {
    removed = true;
    panel?.remove();
  };
}
