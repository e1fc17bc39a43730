/**
 * The classic-script build of @ferry/sw (`dist/ferry-sw.classic.js`), for
 * workers that load scripts with `importScripts` (Workbox `generateSW`'s
 * `importScripts` option, or a hand-written worker): it defines one global,
 * `ferry`, with everything below, and needs no build step:
 *
 *     importScripts('/ferry-sw.classic.js');
 *     ferry.createFerryHost({ allowedOrigins: ['https://api.example'] }).listen(self);
 */
export * from '../src/index.ts';
export { credentials } from '../src/credentials/index.ts';
export { batch } from '../src/batch.ts';
export { IdbStore } from '@ferry/idb';
export { FerryError, MemoryStore } from '@ferry/core';
