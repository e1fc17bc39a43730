/**
 * Builds the documentation site the way `npm test` checks it: the API reference from TSDoc
 * (reference.ts), VitePress's build (which fails on a link to a page that does not exist, and, through
 * docs/.vitepress/repoLinks.ts, on a link to a repository file that does not), then every anchor of the
 * built pages and every README link into the site (anchors.ts). Prints each step's seconds.
 *
 *     tsx scripts/docs/site.ts
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { root } from '../../docs/.vitepress/site.ts';
import { deadReadmeLinks, deadSiteLinks } from './anchors.ts';
import { buildReference } from './reference.ts';

function step<T>(name: string, fn: () => T): T {
  const t0 = Date.now();
  const out = fn();
  console.log(`docs: ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  step('API reference (TypeDoc)', buildReference);
  step('VitePress build, dead links', () => {
    try {
      execFileSync(join(root, 'docs', 'node_modules', '.bin', 'vitepress'), ['build', '--logLevel', 'warn'], {
        cwd: join(root, 'docs'),
        stdio: 'inherit',
      });
    } catch {
      // VitePress printed why (a dead link names its page and target).
      console.error('docs: the VitePress build failed (above)');
      process.exit(1);
    }
  });
  const dead = step('anchors and README links', () => [...deadSiteLinks(), ...deadReadmeLinks()]);
  for (const d of dead) console.error(`docs: dead link: ${d}`);
  if (dead.length) {
    console.error(`docs: ${dead.length} dead link${dead.length === 1 ? '' : 's'}`);
    process.exit(1);
  }
}
