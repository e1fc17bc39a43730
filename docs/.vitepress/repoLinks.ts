/**
 * A markdown-it rule: a relative link from a page to a file outside the site (`../bench/RESULTS.md`,
 * `../packages/sw/README.md#batch-mode`) becomes a link to that file in the repository, so that pages
 * read the same on GitHub and on the site. A link to a file that does not exist fails the build, as
 * VitePress fails it for a dead link inside the site.
 */
import { existsSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import type { MarkdownRenderer } from 'vitepress';
import { repoFiles, root } from './site.ts';

export function repoLinks(md: MarkdownRenderer, srcDir: string): void {
  md.core.ruler.push('ferry-repo-links', (state) => {
    const page = (state.env as { path?: string }).path;
    if (!page) return;
    for (const block of state.tokens) {
      for (const token of block.children ?? []) {
        if (token.type !== 'link_open') continue;
        const href = token.attrGet('href') ?? '';
        if (/^([a-z]+:|#|\/)/i.test(href)) continue;
        const [path = '', hash] = href.split('#');
        const target = resolve(dirname(page), decodeURI(path));
        if (!relative(srcDir, target).startsWith('..')) continue; // a page of the site: VitePress checks it
        if (!existsSync(target)) throw new Error(`${relative(root, page)}: dead link to ${href}`);
        token.attrSet('href', `${repoFiles}/${relative(root, target)}${hash === undefined ? '' : `#${hash}`}`);
      }
    }
  });
}
