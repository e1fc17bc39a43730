/**
 * Pages that show a file kept elsewhere (`<!--@include: ../packages/server/README.md-->`) must find it:
 * VitePress leaves an include whose file is missing as an invisible comment, so the page would be
 * empty without a word. This throws, failing the build, instead.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

export function checkIncludes(srcDir: string): void {
  const pages = readdirSync(srcDir, { recursive: true, withFileTypes: true }).filter(
    (e) => e.isFile() && e.name.endsWith('.md') && !/node_modules|[/\\]api([/\\]|$)/.test(e.parentPath),
  );
  for (const page of pages) {
    const file = join(page.parentPath, page.name);
    for (const [, target = ''] of readFileSync(file, 'utf8').matchAll(/<!--\s*@include:\s*(.*?)\s*-->/g)) {
      const path = target.replace(/(#[\w-]+)?(\{\d*,\d*\})?$/, '');
      const resolved = path.startsWith('@') ? join(srcDir, path.replace(/^@\/?/, '')) : join(dirname(file), path);
      if (!existsSync(resolved)) throw new Error(`${relative(srcDir, file)} includes ${target}, which does not exist`);
    }
  }
}
