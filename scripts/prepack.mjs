#!/usr/bin/env node
/**
 * `prepack` of every package (packages/*): a tarball always holds a fresh
 * build, so `pnpm pack` and `pnpm publish` can never ship a package without
 * `dist/`. Only pnpm packs a workspace package correctly: it replaces
 * `exports` with `publishConfig.exports` (pointing at `dist/`) and
 * `workspace:` ranges with versions; npm ships both as written, so a
 * package packed or published by npm would point at sources it does not
 * contain. This refuses that and names the command to use.
 */
import { execFileSync } from 'node:child_process';

const agent = process.env['npm_config_user_agent'] ?? '';
if (!agent.startsWith('pnpm/')) {
  console.error(
    `prepack: packing with ${agent.split(' ')[0] || 'an unknown client'} would ship exports that point at src/ ` +
      'and workspace: ranges; use `pnpm pack` or `pnpm publish` (`pnpm release` publishes every package).',
  );
  process.exit(1);
}
execFileSync('pnpm', ['run', 'build'], { stdio: 'inherit' });
