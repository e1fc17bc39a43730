import type { CrashableChromium } from '../packages/testing/src/playwright/index.ts';
import { launchCrashableChromium } from '../packages/testing/src/playwright/index.ts';
import { chromiumLaunch } from '../chromium.config.ts';

export { removeProfile } from '../packages/testing/src/playwright/index.ts';

/** `@ferry/testing`'s crashable Chromium, with this machine's Chromium and switches (chromium.config.ts). */
export function launchChromium(profileDir: string): Promise<CrashableChromium> {
  return launchCrashableChromium(profileDir, {
    executablePath: chromiumLaunch.executablePath,
    args: chromiumLaunch.args,
  });
}
