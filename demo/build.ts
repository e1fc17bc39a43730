/** `pnpm --filter @ferry/demo build`: builds the demo into demo/dist. */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDemo } from './buildDemo.ts';

const out = await buildDemo(join(dirname(fileURLToPath(import.meta.url)), 'dist'));
console.log(`demo: built into ${out}`);
