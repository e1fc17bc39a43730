import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

// The app's version, baked into the page and the worker: the update-flow test builds 1, then 2.
const version = process.env.APP_VERSION ?? '1';

export default defineConfig({
  define: { __APP_VERSION__: JSON.stringify(version) },
  build: { outDir: process.env.APP_OUT ?? 'dist' },
  // In `vite dev`, the API is another server (the dev-mode test's).
  ...(process.env.API_URL && { server: { proxy: { '/api': process.env.API_URL } } }),
  plugins: [
    VitePWA({
      // The app's own worker (src/sw.ts): Workbox precaching, the app's update prompt, and Ferry.
      strategies: 'injectManifest',
      srcDir: 'src',
      filename: 'sw.ts',
      registerType: 'prompt',
      injectRegister: false,
      manifest: false,
      injectManifest: { rollupFormat: 'iife', globPatterns: ['**/*.{js,css,html,svg,png}'] },
      devOptions: { enabled: true, type: 'module' },
    }),
  ],
});
