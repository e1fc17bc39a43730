/**
 * The documentation site (VitePress): the guides in docs/*.md and the API reference that
 * scripts/docs/reference.ts generates into docs/api/ from the packages' TSDoc. Dead links fail the
 * build; scripts/docs/anchors.ts then checks every anchor in the built pages.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type DefaultTheme } from 'vitepress';
import { checkIncludes } from './includes.ts';
import { repoLinks } from './repoLinks.ts';
import { entries } from '../../scripts/lib/entries.ts';
import { base, repoFiles, root, slugify } from './site.ts';

const srcDir = join(dirname(fileURLToPath(import.meta.url)), '..');
checkIncludes(srcDir);

const guides: DefaultTheme.SidebarItem[] = [
  {
    text: 'Guide',
    items: [
      { text: 'Getting started', link: '/getting-started' },
      { text: 'Add Ferry to an existing PWA', link: '/existing-pwa' },
      { text: 'Users and credentials', link: '/users-and-credentials' },
      {
        text: 'The server half',
        link: '/server',
        items: [
          { text: 'Node and Express', link: '/server/node' },
          { text: 'Hono', link: '/server/hono' },
          { text: 'Any Fetch runtime', link: '/server/fetch' },
          { text: 'Stores', link: '/server/stores' },
        ],
      },
      { text: 'Batch mode', link: '/batch-mode' },
      { text: 'Testing your offline path', link: '/testing' },
      { text: 'The status snapshot', link: '/status' },
      { text: 'TanStack Query', link: '/tanstack-query' },
      { text: 'Vue', link: '/vue' },
      { text: 'Svelte', link: '/svelte' },
      { text: 'Debugging with the DevTools panel', link: '/devtools' },
      { text: 'Logging', link: '/logging' },
      { text: 'One trace per op (OpenTelemetry)', link: '/tracing' },
    ],
  },
  {
    text: 'Reference',
    items: [
      { text: 'Guarantees', link: '/guarantees' },
      { text: 'Browsers', link: '/browsers' },
      { text: 'Performance', link: '/performance' },
      { text: 'API', link: '/api/' },
    ],
  },
];

const api: DefaultTheme.SidebarItem[] = [
  {
    text: 'API reference',
    link: '/api/',
    items: entries(root)
      .filter((e) => !e.internal)
      .map((e) => ({ text: e.name, link: `/api/${e.name}` })),
  },
];

export default defineConfig({
  title: 'Ferry',
  description:
    'Offline-first operation sync for the web: operations durable before sent, delivered from a service worker.',
  base,
  srcExclude: ['**/node_modules/**', 'package.json'],
  cleanUrls: true,
  lastUpdated: false,
  // The local search index is one large chunk by design.
  vite: { build: { chunkSizeWarningLimit: 4096 } },
  markdown: {
    anchor: { slugify },
    config: (md) => repoLinks(md, srcDir),
  },
  themeConfig: {
    nav: [
      { text: 'Guide', link: '/getting-started' },
      { text: 'API', link: '/api/' },
      { text: 'Changelog', link: `${repoFiles}/.changeset` },
    ],
    sidebar: { '/api/': api, '/': guides },
    outline: { level: [2, 3] },
    search: { provider: 'local' },
    socialLinks: [{ icon: 'github', link: repoFiles.replace(/\/blob\/main$/, '') }],
  },
});
