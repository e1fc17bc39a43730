/**
 * `pnpm sizes --explain [name]`: where an entry's bytes go. The entry is bundled as the budget check bundles it
 * (Vite, from dist/, minified); each module's rendered length (after tree-shaking, before minifying) is listed
 * with the gzip bytes it accounts for: its share of the rendered bytes times the bundle's gzip size. A
 * proportion, since gzip compresses across modules, but one that adds up to the measured size.
 */
import type { Rolldown } from 'vite';

export function explainSize(name: string, built: unknown, gzip: number, root: string): void {
  const outputs = (Array.isArray(built) ? built : [built]) as Rolldown.RolldownOutput[];
  const modules = outputs
    .flatMap((b) => b.output)
    .flatMap((o) => (o.type === 'chunk' ? Object.entries(o.modules) : []));
  const rows = modules
    .map(([id, m]) => ({ id: id.replace(root + '/', '').replace(/^packages\//, ''), bytes: m.renderedLength }))
    .filter((r) => r.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes);
  const total = rows.reduce((s, r) => s + r.bytes, 0);
  console.log(`\n${name}: ${gzip} B min+gzip, ${total} B rendered before minifying`);
  console.log(`  ${'gzip B'.padStart(6)} ${'rendered'.padStart(8)}  module`);
  for (const r of rows) {
    console.log(
      `  ${String(Math.round((r.bytes / total) * gzip)).padStart(6)} ${String(r.bytes).padStart(8)}  ${r.id}`,
    );
  }
}
