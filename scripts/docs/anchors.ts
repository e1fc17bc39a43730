/**
 * Every internal link of the built site, and every link from a README into the site, must reach a
 * page that exists and, when it names an anchor, an element with that id on that page. VitePress
 * fails its build on a link to a missing page; this checks the anchors it does not, on the HTML it
 * wrote, so ids are exactly those a browser will find.
 *
 *     tsx scripts/docs/anchors.ts     # after the site is built (scripts/docs/site.ts)
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { base, root, siteUrl } from '../../docs/.vitepress/site.ts';

export const distDir = join(root, 'docs', '.vitepress', 'dist');

/** A built page's file for a site path (`/ferry/guarantees`, `/ferry/api/`), or undefined. */
function pageFile(path: string): string | undefined {
  if (!path.startsWith(base)) return undefined;
  const rest = decodeURI(path.slice(base.length)).replace(/\.html$/, '');
  const candidates = rest === '' || rest.endsWith('/') ? [`${rest}index.html`] : [`${rest}.html`, `${rest}/index.html`];
  return candidates.map((c) => join(distDir, c)).find((f) => existsSync(f));
}

const idsCache = new Map<string, Set<string>>();
function idsOf(file: string): Set<string> {
  let ids = idsCache.get(file);
  if (!ids) {
    ids = new Set([...readFileSync(file, 'utf8').matchAll(/\sid="([^"]+)"/g)].map((m) => m[1] ?? ''));
    idsCache.set(file, ids);
  }
  return ids;
}

/** Why `url` (absolute, on the site's origin) is dead, or undefined when it is fine. */
function deadness(url: URL): string | undefined {
  if (/\.(png|svg|jpe?g|ico|css|js|json|txt|xml|woff2?)$/.test(url.pathname)) return undefined;
  const file = pageFile(url.pathname);
  if (!file) return 'no such page';
  const hash = decodeURIComponent(url.hash.slice(1));
  if (hash && !idsOf(file).has(hash)) return `no #${hash} on ${relative(distDir, file)}`;
  return undefined;
}

const htmlFiles = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.html'))
    .map((e) => join(e.parentPath, e.name));

/** The dead internal links of the built site, as `page: href (why)`. */
export function deadSiteLinks(): string[] {
  const dead: string[] = [];
  const origin = new URL(siteUrl).origin;
  for (const file of htmlFiles(distDir)) {
    const page = new URL(`${base}${relative(distDir, file)}`, origin);
    for (const [, href = ''] of readFileSync(file, 'utf8').matchAll(/<a\s[^>]*?href="([^"]*)"/g)) {
      if (href === '' || href === '#' || /^(?!https?:)[a-z]+:/i.test(href)) continue; // mailto:, javascript:
      const url = new URL(href.replace(/&amp;/g, '&'), page);
      if (url.origin !== origin || !url.pathname.startsWith(base)) continue; // another site
      const why = deadness(url);
      if (why) dead.push(`${relative(root, file)}: ${href} (${why})`);
    }
  }
  return dead;
}

/** The READMEs a user reads on npm or GitHub: the root's, CONTRIBUTING.md and each package's. */
export const readmes = (): string[] => [
  'README.md',
  'CONTRIBUTING.md',
  ...readdirSync(join(root, 'packages'))
    .map((d) => join('packages', d, 'README.md'))
    .filter((f) => existsSync(join(root, f))),
];

/**
 * Links from the READMEs that do not resolve: to the site (under its URL), to a guide by its file
 * (`docs/guarantees.md#durable-before-sent`, checked against the built page, whose ids are GitHub's),
 * or to another file of the repository. A package README travels in its tarball without the rest of
 * the repository, so a relative link of one that leaves its package is dead on npm and counts too.
 */
export function deadReadmeLinks(): string[] {
  const dead: string[] = [];
  const docsDir = join(root, 'docs');
  for (const readme of readmes()) {
    const text = readFileSync(join(root, readme), 'utf8');
    for (const [, a, b] of text.matchAll(/\]\((\S+?)\)|href="([^"]+)"/g)) {
      const href = a ?? b ?? '';
      let why: string | undefined;
      if (href.startsWith(siteUrl)) why = deadness(new URL(href));
      else if (/^([a-z]+:|#)/i.test(href))
        continue; // another site, or an anchor of the README itself
      else {
        const [path = '', hash] = href.split('#');
        const file = resolve(dirname(join(root, readme)), decodeURI(path));
        const inDocs = relative(docsDir, file);
        const page = inDocs.replace(/\.md$/, '').replace(/(^|\/)index$/, '$1');
        const pkg = /^packages\/[^/]+\//.exec(readme)?.[0];
        if (pkg && relative(join(root, pkg), file).startsWith('..'))
          why = `outside the package's tarball: link to ${inDocs.startsWith('..') ? 'GitHub' : siteUrl + page}`;
        else if (!existsSync(file)) why = 'no such file';
        else if (!inDocs.startsWith('..') && file.endsWith('.md') && !inDocs.startsWith('api/')) {
          why = deadness(new URL(`${base}${page}${hash === undefined ? '' : `#${hash}`}`, siteUrl));
        }
      }
      if (why) dead.push(`${readme}: ${href} (${why})`);
    }
  }
  return dead;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dead = [...deadSiteLinks(), ...deadReadmeLinks()];
  for (const d of dead) console.error(`dead link: ${d}`);
  if (dead.length) process.exit(1);
  console.log('anchors: every internal link and anchor resolves');
}
