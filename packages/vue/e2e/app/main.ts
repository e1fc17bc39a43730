/**
 * A small Vue app on Ferry, built by Vite (`vue-app.js`) and loaded into the end-to-end test page: its own client
 * on the worker the page registered, the plugin given it and its status snapshot, as docs/vue.md sets an app up.
 */
import { createFerryClient } from '@ferry/client';
import { createFerryStatus } from '@ferry/client/status';
import { ferryPlugin } from '@ferry/vue';
import { createApp } from 'vue';
import App from './App.vue';

const ferry = createFerryClient();
await ferry.register();
createApp(App)
  .use(ferryPlugin({ client: ferry, status: createFerryStatus(ferry) }))
  .mount(document.body.appendChild(document.createElement('div')));
