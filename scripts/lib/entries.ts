/**
 * Every entry point Ferry publishes, read from each package's `package.json`: `exports` (the
 * sources the workspace runs) and `publishConfig.exports` (the built files a tarball ships). The
 * API reference and the API report both start from this list, so an entry a package adds is
 * documented and reported without a list to keep in step.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Entry {
  /** `@ferry/core/protocol`. */
  name: string;
  /** The package directory under `packages/`: `core`. */
  dir: string;
  /** The subpath without `./`: `protocol`, or `''` for the package's main entry. */
  sub: string;
  /** The entry's source, relative to the root: `packages/core/src/protocol.ts`. */
  source: string;
  /** Its built declarations, relative to the root: `packages/core/dist/protocol.d.ts`. */
  types: string;
  /** Internal entries (`internal` in the subpath) are shared by sibling packages, documented as unstable. */
  internal: boolean;
}

type Target = string | { types?: string; default?: string };

interface Manifest {
  name: string;
  private?: boolean;
  exports?: Record<string, Target>;
  publishConfig?: { exports?: Record<string, Target> };
}

const typesOf = (t: Target | undefined): string | undefined => (typeof t === 'string' ? undefined : t?.types);

/** The entries of every published package under `root/packages`, sorted by name. */
export function entries(root: string): Entry[] {
  const out: Entry[] = [];
  for (const dir of readdirSync(join(root, 'packages')).sort()) {
    let pkg: Manifest;
    try {
      pkg = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')) as Manifest;
    } catch {
      continue; // not a package
    }
    if (pkg.private) continue;
    for (const [key, target] of Object.entries(pkg.exports ?? {})) {
      const source = typesOf(target);
      const types = typesOf(pkg.publishConfig?.exports?.[key]);
      if (!source || !types) continue; // package.json, or a file shipped as is
      const sub = key === '.' ? '' : key.slice(2);
      out.push({
        name: sub ? `${pkg.name}/${sub}` : pkg.name,
        dir,
        sub,
        source: join('packages', dir, source),
        types: join('packages', dir, types),
        internal: /(^|\/)internal(\/|$)/.test(sub),
      });
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** `@ferry/core/protocol` → `core.protocol`: a name for a file per entry. */
export const fileStem = (e: Entry): string => [e.dir, ...e.sub.split('/').filter(Boolean)].join('.');
