/**
 * TanStack Query's offline example (offline-example/, vendored with Ferry's change) as the offline scenario drives
 * it: built by Vite from its own `src/index.tsx` into the test page (under a `#root` as its index.html has), with
 * its API mounted on the test server (moviesApi.ts). A change is a comment typed on a movie's page and submitted,
 * as a user does: message `n` of lane `lane-k` is the comment `n` on movie `k + 1`, so the four lanes are the four
 * movies' scopes. The app reads the mutation cache through `window.__TANSTACK_QUERY_CLIENT__`.
 */
import type { Page } from '@playwright/test';
import type { QueryClient } from '@tanstack/react-query';
import type { Message, ScenarioApp } from '../../../e2e/scenario/offline.ts';
import { TITLES } from './moviesApi.ts';

export const SCRIPT = 'tq-offline-example.js';

declare global {
  interface Window {
    __TANSTACK_QUERY_CLIENT__?: QueryClient;
  }
}

/** The movie a message's comment goes to: lane `lane-k`'s is movie `k + 1`. */
const movieOf = (m: Message): number => Number(m.lane.slice('lane-'.length)) + 1;

/**
 * In the page: opens each movie's page from the list, types its comment, submits, and goes back to the list,
 * waiting for each page to render between clicks. The example's router drops the test page's query string (its
 * flags) on the way; it is put back at the end, so that a reload loads the same page.
 */
function edit(page: Page, edits: { title: string; comment: string }[]): Promise<void> {
  return page.evaluate(async (all) => {
    const until = async <T>(find: () => T | null | undefined): Promise<T> => {
      for (let i = 0; i < 2_000; i++) {
        const found = find();
        if (found) return found;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      throw new Error('the example did not render in 10 s');
    };
    // A link of the list, once the list shows (no movie's form).
    const link = (text: string) =>
      document.querySelector('textarea')
        ? undefined
        : [...document.querySelectorAll('a')].find((a) => a.textContent === text);
    const flags = location.search;
    for (const { title, comment } of all) {
      (await until(() => link(title))).click();
      const form = await until(() =>
        document.querySelector('h1')?.textContent === `Movie: ${title}` ? document.querySelector('form') : null,
      );
      const textarea = form.querySelector('textarea') as HTMLTextAreaElement;
      // The prototype's setter, as typing sets it: React's change tracking ignores a value set on the element.
      Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value')?.set?.call(textarea, comment);
      textarea.dispatchEvent(new Event('input', { bubbles: true }));
      form.querySelector<HTMLButtonElement>('button[type=submit]')?.click();
      (await until(() => [...document.querySelectorAll('a')].find((a) => a.textContent === 'Back'))).click();
    }
    if (all[0]) await until(() => link(all[0]?.title ?? ''));
    history.replaceState(history.state, '', `/${flags}`);
  }, edits);
}

/** What the mutation cache holds, and Ferry's unsent ops as listed and as counted. */
const counts = (page: Page) =>
  page.evaluate(async () => {
    const cache = (window.__TANSTACK_QUERY_CLIENT__ as QueryClient).getMutationCache();
    const { pending, inflight } = await window.ferry.stats();
    const listed = [
      ...(await window.ferry.list({ status: 'pending' })),
      ...(await window.ferry.list({ status: 'inflight' })),
    ];
    return {
      pending: cache.findAll({ status: 'pending' }).length,
      error: cache.findAll({ status: 'error' }).length,
      listed: listed.length,
      unsent: pending + inflight,
    };
  });

export const offlineExample: ScenarioApp = {
  async load(page) {
    await page.evaluate(() => document.body.appendChild(document.createElement('div')).setAttribute('id', 'root'));
    await page.addScriptTag({ url: `/${SCRIPT}`, type: 'module' });
    await page.getByRole('heading', { name: 'Movies' }).waitFor();
    const restored = (await counts(page)).pending;
    const flags = new URL(page.url()).search;
    // Each movie's page once, as a user browsing does: their queries are cached for when the server is out.
    for (const title of TITLES) {
      await page.getByRole('link', { name: title }).click();
      await page.getByRole('heading', { name: `Movie: ${title}` }).waitFor();
      await page.getByRole('link', { name: 'Back' }).click();
    }
    await page.evaluate((search) => history.replaceState(history.state, '', `/${search}`), flags);
    return restored;
  },
  mutate: (page, messages) =>
    edit(
      page,
      messages.map((m) => ({ title: TITLES[movieOf(m) - 1] as string, comment: String(m.n) })),
    ),
  async compare(page) {
    const c = await counts(page);
    return { agree: c.error === 0 && c.pending === c.listed && c.pending === c.unsent, unsent: c.unsent };
  },
  message({ path, body }) {
    const movie = Number(path.slice('/movies/'.length));
    return { n: Number((body as { comment: string }).comment), lane: `lane-${movie - 1}` };
  },
};
