/**
 * Where the site lives, in one place: the root package.json's `homepage` (the public URL, whose path is
 * the site's base) and `repository` (where links to files outside the site go). The GitHub Pages
 * workflow, the package READMEs' links and the link checks all read it from here.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  homepage: string;
  repository: { url: string };
};

/** The site's public URL, ending in `/`: `https://ferry-sync.github.io/ferry/`. */
export const siteUrl = manifest.homepage.endsWith('/') ? manifest.homepage : `${manifest.homepage}/`;
/** The path the site is served under: `/ferry/`. */
export const base = new URL(siteUrl).pathname;
/** The repository's files on the main branch: `https://github.com/ferry-sync/ferry/blob/main`. */
export const repoFiles = `${manifest.repository.url.replace(/^git\+/, '').replace(/\.git$/, '')}/blob/main`;

/**
 * GitHub's heading ids (github-slugger): lowercase, punctuation dropped, each space a hyphen. The site
 * uses them too, so that an anchor a page links to works on GitHub and on the site alike.
 */
export const slugify = (text: string): string =>
  text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
    .replace(/ /g, '-');
