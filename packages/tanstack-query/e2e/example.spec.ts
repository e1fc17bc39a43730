/**
 * The offline scenario (e2e/scenario/offline.ts) in a React Query app in the shape of TanStack Query's offline
 * example (example/main.ts), built by Vite: at every sample the mutation cache's pending mutations, as the app
 * renders them, are Ferry's unsent ops.
 */
import { offlineAppTest } from '../../../e2e/scenario/appSpec.ts';

offlineAppTest({
  framework: 'React Query (the offline example’s shape)',
  entry: new URL('example/main.ts', import.meta.url),
  script: 'tq-example.js',
});
