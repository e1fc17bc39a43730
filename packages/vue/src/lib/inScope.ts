import { FerryError } from '@ferry/core';
import { getCurrentScope } from 'vue';

/**
 * Refuses a composable called where nothing would end it: outside `setup()` and any `effectScope`,
 * its listeners would live as long as the page.
 */
export function inScope(name: string): void {
  if (!getCurrentScope())
    throw new FerryError('invalid-config', `@ferry/vue: ${name}() needs setup() or an effectScope() to end it`);
}

/**
 * Rendering on a server (no document): a server render never unmounts, so a composable there
 * listens to nothing and shows its not-yet-loaded value.
 */
export const onServer = (): boolean => typeof document !== 'object';
