/**
 * The offline scenario (e2e/scenario/offline.ts) in a small Svelte app built by Vite (app/): at every sample the
 * app's rendered unsent count (`$status`) and overlay (`$unsent`, a `pending` store) are Ferry's.
 */
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { offlineAppTest } from '../../../e2e/scenario/appSpec.ts';

offlineAppTest({
  framework: 'Svelte',
  entry: new URL('app/main.ts', import.meta.url),
  script: 'svelte-app.js',
  plugin: svelte(),
});
