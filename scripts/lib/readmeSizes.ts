/**
 * The measured sizes in the package READMEs: each `<!-- size: NAME -->…<!-- /size -->` holds the
 * min+gzip size of the size budget NAME (size-budgets.json), as scripts/sizeBudgets.ts measured it, in
 * kB of 1000 bytes with one decimal. The README of every package that has a budget (`@ferry/<dir>` or
 * `@ferry/<dir>/…`) states at least one; a package without one (a dev-only kit) need not.
 */
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const MARKER = /<!-- size: ([^>]+?) -->([^<]*)<!-- \/size -->/g;

export const kB = (bytes: number): string => `${(bytes / 1000).toFixed(1)} kB`;
/**
 * A stated figure is stale when it is more than one displayed step (100 B) from the measure: builds in
 * two checkouts of one commit differ by a few bytes, which must not flip a figure at a rounding edge.
 */
const STEP_BYTES = 100;
const stale = (shown: string, bytes: number): boolean => {
  const stated = /^(\d+(?:\.\d)?) kB$/.exec(shown);
  return stated === null || Math.abs(Number(stated[1]) * 1000 - bytes) > STEP_BYTES;
};

/**
 * Checks (or, with `update`, rewrites) every package README's size markers against `measured`
 * (bytes by budget name). Returns what is wrong: a stale figure, an unknown budget, a budgeted package's
 * README without one.
 */
export function readmeSizes(root: string, measured: ReadonlyMap<string, number>, update: boolean): string[] {
  const problems: string[] = [];
  for (const dir of readdirSync(join(root, 'packages')).sort()) {
    const file = join(root, 'packages', dir, 'README.md');
    if (!existsSync(file)) continue;
    const readme = `packages/${dir}/README.md`;
    const text = readFileSync(file, 'utf8');
    let found = 0;
    const next = text.replace(MARKER, (whole, name: string, shown: string) => {
      found++;
      const bytes = measured.get(name);
      if (bytes === undefined) {
        problems.push(`${readme} states the size of ${name}, which size-budgets.json does not measure`);
        return whole;
      }
      if (!update && stale(shown, bytes)) problems.push(`${readme} says ${name} is ${shown}; it measures ${kB(bytes)}`);
      return update ? `<!-- size: ${name} -->${kB(bytes)}<!-- /size -->` : whole;
    });
    const budgeted = [...measured.keys()].some((n) => n === `@ferry/${dir}` || n.startsWith(`@ferry/${dir}/`));
    if (found === 0 && budgeted)
      problems.push(`${readme} states no measured size (<!-- size: NAME -->…<!-- /size -->)`);
    if (update && next !== text) writeFileSync(file, next);
  }
  return problems;
}
