import type { FerryClient } from '@ferry/client';
import type { FerryStatus, FerryStatusSource } from '@ferry/client/status';
import { describe, expect, it } from 'vitest';
import { createSSRApp, defineComponent, h } from 'vue';
import { renderToString } from 'vue/server-renderer';
import { ferryPlugin, useFerryStatus, useOp, useOps } from './index.ts';

describe('@ferry/vue in a server render', () => {
  it('renders the not-yet-loaded values and listens to nothing (a server render never unmounts)', async () => {
    const asked: string[] = [];
    const client = {
      subscribe: () => (asked.push('subscribe'), () => {}),
      get: (id: string) => (asked.push(`get ${id}`), Promise.resolve(undefined)),
      list: () => (asked.push('list'), Promise.resolve([])),
    } as unknown as FerryClient;
    const snapshot = { loaded: false, counts: { pending: 0 } } as FerryStatus;
    const status = Object.assign(() => snapshot, {
      getSnapshot: () => snapshot,
      refresh: () => {},
      subscribe: () => (asked.push('status'), () => {}),
    }) as unknown as FerryStatusSource;
    const App = defineComponent({
      setup() {
        const s = useFerryStatus();
        const op = useOp('a');
        const ops = useOps({ lane: 'chat' });
        return () => h('p', `${s.value.loaded} ${s.value.counts.pending} ${op.value} ${ops.value}`);
      },
    });
    const html = await renderToString(createSSRApp(App).use(ferryPlugin({ client, status })));
    expect(html).toBe('<p>false 0 undefined undefined</p>');
    expect(asked).toEqual([]);
  });
});
