/**
 * The Vue and Svelte scenario apps as the offline scenario drives them. Each renders the same page: a form that
 * enqueues one message (`n`, `lane`) through its binding, Ferry's unsent count from the status snapshot
 * (`[data-testid=unsent]`, `loading` until loaded) and its dead letters (`[data-testid=failed]`), and the pending
 * overlay, one `<li>` per op with the message's `n` (`[data-testid=overlay]`).
 */
import type { Page } from '@playwright/test';
import type { Message, ScenarioApp } from './offline.ts';

/** What the test page's client says: unsent ops by `stats()`, and the messages of those listed pending or in flight. */
const ferrySide = (page: Page) =>
  page.evaluate(async () => {
    const { pending, inflight, failed } = await window.ferry.stats();
    const listed = [
      ...(await window.ferry.list({ status: 'pending' })),
      ...(await window.ferry.list({ status: 'inflight' })),
    ];
    return {
      unsent: pending + inflight,
      failed,
      overlay: listed.map((op) => (op.payload as { n: number }).n).sort((a, b) => a - b),
    };
  });

/** What the app renders. */
const rendered = (page: Page) =>
  page.evaluate(() => {
    const text = (id: string): string => document.querySelector(`[data-testid=${id}]`)?.textContent?.trim() ?? '';
    const items = [...document.querySelectorAll('[data-testid=overlay] li')];
    return {
      unsent: text('unsent'),
      failed: text('failed'),
      overlay: items.map((li) => Number(li.textContent)).sort((a, b) => a - b),
    };
  });

/** The app built to `/<script>`: loaded into the test page after each load of it. */
export function domApp(script: string): ScenarioApp {
  return {
    async load(page) {
      await page.addScriptTag({ url: `/${script}`, type: 'module' });
      await page.locator('[data-testid=unsent]').filter({ hasNotText: 'loading' }).waitFor();
      return 0;
    },
    /** Types each message into the form and submits it, as a user does, with no round trip to the test between. */
    async mutate(page, messages: Message[]) {
      await page.evaluate((all) => {
        const type = (name: string, value: string): void => {
          const input = document.querySelector<HTMLInputElement>(`input[name=${name}]`) as HTMLInputElement;
          // The prototype's setter, as typing sets it: React's change tracking ignores a value set on the element.
          Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')?.set?.call(input, value);
          input.dispatchEvent(new Event('input', { bubbles: true }));
        };
        for (const { n, lane } of all) {
          type('n', String(n));
          type('lane', lane);
          document.querySelector<HTMLButtonElement>('button[type=submit]')?.click();
        }
      }, messages);
    },
    async compare(page) {
      const [app, ferry] = [await rendered(page), await ferrySide(page)];
      const agree =
        ferry.failed === 0 &&
        app.unsent === String(ferry.unsent) &&
        app.failed === '0' &&
        app.overlay.join() === ferry.overlay.join();
      return { agree, unsent: ferry.unsent };
    },
  };
}
