import { FerryError } from '@ferry/core';
import { getCurrentScope } from 'vue';

/**
 * Refuses a composable called where nothing would end it: outside `setup()` and any `effectScope`,
 * its listeners would live as long as the page.
 */
export function inScope(name: string): void {
  if (!getCurrentScope())
    throw new FerryError(
      'invalid-config',
      `@ferry/vue: ${name}() must be called in setup() or inside an effectScope(), which stops it when it ends`,
    );
}
