/**
 * What the in-run A/B scripts (abDrain.ts, abStorage.ts) share: their
 * arguments (`--rounds N`, `--n OPS`, then the trees) and building each
 * tree's own bench pages and worker with that tree's build script and
 * packages, so each side runs its own code.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

export interface AbArgs {
  rounds: number;
  n: number;
  /** Paths of git worktrees of this repo, packages installed. */
  trees: string[];
}

/** Reads `--rounds N` and `--n OPS` (with these defaults) and the trees that follow. */
export function abArgs(script: string, defaults: { rounds: number; n: number }): AbArgs {
  const args = process.argv.slice(2);
  const flag = (name: string, fallback: number): number => {
    const i = args.indexOf(name);
    if (i < 0) return fallback;
    const v = Number(args[i + 1]);
    args.splice(i, 2);
    return v;
  };
  const rounds = flag('--rounds', defaults.rounds);
  const n = flag('--n', defaults.n);
  if (args.length === 0) throw new Error(`usage: ${script} [--rounds N] [--n OPS] TREE...`);
  return { rounds, n, trees: args };
}

/** Builds `tree`'s bench into a fresh directory with its own build script; returns the directory. */
export async function buildTree(tree: string): Promise<string> {
  const dist = await mkdtemp(join(tmpdir(), `ferry-ab-${basename(tree)}-`));
  execFileSync(
    'pnpm',
    ['-s', 'exec', 'tsx', '-e', `import('./src/build.ts').then((m) => m.buildBench(${JSON.stringify(dist)}))`],
    {
      cwd: join(tree, 'bench'),
      stdio: 'inherit',
    },
  );
  return dist;
}
