/**
 * Rewrites bench/RESULTS.md, the docs' chart and the README's table from bench/results/latest.json
 * and server.json (what `pnpm bench` does at the end of a full run), e.g. after
 * changing the report's generator: `pnpm exec tsx src/results.ts` in bench/.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchResult } from './report.ts';
import { resultsDir, writeReport } from './report.ts';

const result = JSON.parse(await readFile(join(resultsDir, 'latest.json'), 'utf8')) as BenchResult;
await writeReport(result);
console.log('wrote bench/RESULTS.md, docs/assets/bench.svg and the README table');
