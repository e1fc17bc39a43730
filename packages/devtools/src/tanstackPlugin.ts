import type { FerryClient } from '@ferry/client';

/**
 * A plugin for TanStack Devtools: the panel in its `render(el)` container. Structurally
 * `TanStackDevtoolsPlugin` (`id`, `name`, `render`, `destroy`), so this package does not depend on it:
 * `<TanStackDevtools plugins={[ferryDevtoolsPlugin(ferry)]} />`.
 */
export interface FerryDevtoolsPlugin {
  id: string;
  name: string;
  render(el: HTMLElement): void;
  destroy(pluginId: string): void;
}

/** The TanStack Devtools plugin showing `client`'s queue; its code loads when the plugin is first shown. */
export function ferryDevtoolsPlugin(client: FerryClient): FerryDevtoolsPlugin {
  let panel: (Element & { client: FerryClient }) | undefined;
  return {
    id: 'ferry',
    name: 'Ferry',
    render(el) {
      void import('./panel/FerryDevtoolsElement.ts').then(({ defineFerryDevtools }) => {
        defineFerryDevtools();
        panel ??= Object.assign(document.createElement('ferry-devtools'), { client }) as never;
        // Inside a host panel, it flows with the page instead of floating over it.
        panel!.setAttribute('embedded', '');
        el.replaceChildren(panel!);
      });
    },
    destroy() {
      panel?.remove();
      panel = undefined;
    },
  };
}
