/**
 * The offline scenario (e2e/scenario/offline.ts) in a small Vue app built by Vite (app/): at every sample the
 * app's rendered unsent count (useFerryStatus) and overlay (usePending) are Ferry's.
 */
import vue from '@vitejs/plugin-vue';
import { offlineAppTest } from '../../../e2e/scenario/appSpec.ts';

offlineAppTest({
  framework: 'Vue',
  entry: new URL('app/main.ts', import.meta.url),
  script: 'vue-app.js',
  plugin: vue(),
});
