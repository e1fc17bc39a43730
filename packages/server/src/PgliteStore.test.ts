import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { PgliteStore } from './PgliteStore.ts';

let root: string | undefined;
afterEach(async () => {
  if (root !== undefined) await rm(root, { recursive: true, force: true });
});

it('opens on a data folder whose parents do not exist yet, and keeps its keys there', async () => {
  root = await mkdtemp(join(tmpdir(), 'ferry-pglite-'));
  const dataDir = join(root, 'not', 'made', 'db');
  const store = new PgliteStore({ dataDir });
  await store.ready();
  await store.close();
  expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true);
}, 60_000);
