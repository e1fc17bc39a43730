/**
 * How tests launch a browser on these machines: Debian's Chromium, because
 * Playwright cannot download its own here (shared/NOTES.md). The
 * background-networking flags stop Chromium from retrying connections the
 * closed network refuses.
 */
export const chromiumPath = process.env.FERRY_CHROMIUM ?? '/usr/bin/chromium';

export const chromiumLaunch = {
  executablePath: chromiumPath,
  args: [
    '--no-sandbox',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-gpu',
  ],
};
