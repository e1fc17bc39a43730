/**
 * Builds an app's entry into the test server's static folder as one ES module (`/<fileName>`), which a spec loads
 * into the test page next to its `window.ferry`: the TanStack Query page and the Vue and Svelte apps. Called once
 * per test process (a spec's `beforeAll`), so each app is built once per run.
 */
import { dirname } from 'node:path';
import type { PluginOption } from 'vite';
import { build } from 'vite';

export interface ScriptBuild {
  /** The entry module, an absolute path. */
  entry: string;
  /** The output's name in `staticDir`, e.g. `vue-app.js`. */
  fileName: string;
  /** Vite plugins the entry needs (a framework's compiler). */
  plugins?: PluginOption[];
  /** Module names the entry imports that resolve elsewhere (a package's own name, from inside it). */
  alias?: Record<string, string>;
}

export async function buildScript(
  staticDir: string,
  { entry, fileName, plugins = [], alias = {} }: ScriptBuild,
): Promise<void> {
  await build({
    configFile: false,
    logLevel: 'warn',
    root: dirname(entry),
    plugins,
    resolve: { alias },
    // Query and Vue read process.env.NODE_ENV, as an app's bundler defines it.
    define: { 'process.env.NODE_ENV': JSON.stringify('production') },
    build: {
      outDir: staticDir,
      emptyOutDir: false,
      copyPublicDir: false,
      minify: false,
      target: 'es2022',
      lib: { entry, formats: ['es'], fileName: () => fileName },
      // React Query's modules start with "use client", which means nothing outside a server-components bundler.
      rollupOptions: { onwarn: (w, warn) => (w.code === 'MODULE_LEVEL_DIRECTIVE' ? undefined : warn(w)) },
    },
  });
}
