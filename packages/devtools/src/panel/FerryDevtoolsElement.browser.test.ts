import { createFerryClient } from '@ferry/client';
import type { SendResult } from '@ferry/core';
import { MemoryStore } from '@ferry/core';
import { ScriptedTransport } from '@ferry/core/testing';
import type { HostTransportOptions } from '@ferry/sw';
import { createFerryHost } from '@ferry/sw';
import { devtoolsHost } from '@ferry/sw/devtools';
import { testPlatform, testServiceWorker } from '@ferry/sw/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { mountFerryDevtools } from '../mount.ts';
import { ferryDevtoolsPlugin } from '../tanstackPlugin.ts';
import type { FerryDevtoolsElement } from './FerryDevtoolsElement.ts';

let n = 0;
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0)) await fn();
});

/**
 * A real host in this page over a MemoryStore, serving the panel (`devtoolsHost`), with a scripted transport;
 * a real client talking to it, which records the type of every request it sends.
 */
function setup(script: (nth: number) => SendResult, transport?: HostTransportOptions) {
  const name = `ferry-devtools-test-${n++}-${Math.random()}`;
  const net = { online: true };
  const host = createFerryHost({
    storage: { store: async () => new MemoryStore() },
    transport: transport ?? new ScriptedTransport((_, nth) => script(nth)),
    platform: testPlatform({
      origin: () => location.origin,
      isOnline: () => net.online,
      channel: () => new BroadcastChannel(name),
    }),
    devtools: devtoolsHost,
    logger: { level: 'silent' },
  });
  const { serviceWorker, requests } = testServiceWorker(host);
  // A client per tab: the panel's, and another tab's on the same host.
  const tab = () =>
    createFerryClient({
      platform: {
        serviceWorker,
        channel: () => new BroadcastChannel(name),
      },
      forwardEvents: false,
    });
  const client = tab();
  const otherTab = tab();
  // The panel's subscriptions to the change feed that are live now.
  const live = { subscriptions: 0 };
  const subscribe = client.subscribe.bind(client);
  client.subscribe = (fn) => {
    live.subscriptions++;
    const off = subscribe(fn);
    return () => {
      live.subscriptions--;
      off();
    };
  };
  const unmount = mountFerryDevtools(client);
  cleanups.push(
    unmount,
    () => client.close(),
    () => otherTab.close(),
    () => host.close(),
  );
  const panel = async (): Promise<FerryDevtoolsElement> => {
    await expect.poll(() => document.querySelector('ferry-devtools')?.shadowRoot?.querySelector('.queue')).toBeTruthy();
    return document.querySelector('ferry-devtools') as FerryDevtoolsElement;
  };
  return { host, client, otherTab, requests, net, panel, live, unmount };
}

const op = { kind: 'message.send', target: '/api/messages', lane: 'chat', payload: { text: 'hi' } };
const $ = (el: Element, sel: string) => [...el.shadowRoot!.querySelectorAll<HTMLElement>(sel)];

describe('<ferry-devtools>', () => {
  it('shows a dead letter and its history; retry in the panel delivers it, and the history follows live', async () => {
    const { client, otherTab, requests, panel } = setup((nth) =>
      nth === 1
        ? { ok: false, retryable: false, status: 422, error: 'text too long' }
        : { ok: true, answer: { status: 201, body: { id: 'm1' } } },
    );
    const id = await client.enqueue(op);
    await expect.poll(async () => (await client.get(id))?.status).toBe('failed');
    const el = await panel();
    await expect.poll(() => $(el, '.dead tr.op').map((r) => r.dataset['op'])).toEqual([id]);
    expect($(el, 'tr[data-lane="chat"]')[0]?.textContent).toContain('chat');

    $(el, `.dead tr[data-op="${id}"]`)[0]!.click();
    await expect
      .poll(() => $(el, '.history tr[data-lsn]').map((r) => r.dataset['type']))
      .toEqual(['put', 'claim', 'fail']);
    const fail = $(el, '.history tr[data-type="fail"]')[0]!.textContent;
    expect(fail).toContain('422 text too long');

    $(el, '.history button.retry')[0]!.click();
    await expect
      .poll(() => $(el, '.history tr[data-lsn]').map((r) => r.dataset['type']))
      .toEqual(['put', 'claim', 'fail', 'requeue', 'claim', 'done']);
    expect(requests).toContain('retry');
    expect(requests).toContain('history');
    await expect.poll(() => $(el, '.dead tr.op')).toHaveLength(0);
    await expect.poll(() => $(el, '.history .answer')[0]?.textContent).toBe('answer 201 {"id":"m1"}');
    // What another tab does reaches this tab's panel through the change feed alone.
    const second = await otherTab.enqueue({ ...op, lane: 'second' });
    await expect.poll(() => $(el, '.dead tr.op').map((r) => r.dataset['op'])).toEqual([second]);
  });

  it('edits the payload of an op never sent, discards one, and syncs now, through the client', async () => {
    const { client, requests, net, panel } = setup(() => ({ ok: true }));
    net.online = false;
    const id = await client.enqueue(op);
    const other = await client.enqueue({ ...op, lane: 'other' });
    const el = await panel();
    await expect.poll(() => $(el, '.ops tr.op')).toHaveLength(2);
    await el.select(id);
    const editor = $(el, '.history textarea')[0] as HTMLTextAreaElement;
    expect(JSON.parse(editor.value)).toEqual({ text: 'hi' });
    editor.value = '{ "text": "hello" }';
    // A change arriving meanwhile reloads the panel, and leaves what is being typed alone.
    await client.enqueue({ ...op, lane: 'third' });
    await expect.poll(() => $(el, '.ops tr.op')).toHaveLength(3);
    expect(($(el, '.history textarea')[0] as HTMLTextAreaElement).value).toBe('{ "text": "hello" }');
    $(el, '.history button.save')[0]!.click();
    await expect.poll(async () => (await client.get(id))?.payload).toEqual({ text: 'hello' });
    await expect.poll(() => $(el, '.history tr[data-type="update"]')).toHaveLength(1);

    editor.value = '{ not json';
    $(el, '.history button.save')[0]!.click();
    await expect.poll(() => $(el, '.error')[0]?.textContent).toContain('not JSON');

    await el.select(other);
    $(el, '.history button.remove')[0]!.click();
    await expect.poll(async () => client.get(other)).toBeUndefined();
    expect(requests.filter((t) => t === 'update' || t === 'remove')).toEqual(['update', 'remove']);

    net.online = true;
    $(el, 'header button.sync')[0]!.click();
    await expect.poll(async () => (await client.get(id))?.status).toBe('done');
    expect(requests).toContain('syncNow');
  });

  it('renders into a TanStack Devtools container as a plugin, and goes at destroy', async () => {
    const { client } = setup(() => ({ ok: true }));
    const plugin = ferryDevtoolsPlugin(client);
    expect(plugin).toMatchObject({ id: 'ferry', name: 'Ferry' });
    const container = document.body.appendChild(document.createElement('div'));
    cleanups.push(() => container.remove());
    plugin.render(container);
    await expect
      .poll(() => container.querySelector('ferry-devtools[embedded]')?.shadowRoot?.querySelector('.queue'))
      .toBeTruthy();
    plugin.destroy('ferry');
    expect(container.querySelector('ferry-devtools')).toBeNull();
  });

  it('closes to a launcher and opens again, following the change feed only while open', async () => {
    const { client, live, panel, unmount } = setup(() => ({ ok: true }));
    const el = await panel();
    expect(live.subscriptions).toBe(1);
    for (let round = 0; round < 3; round++) {
      $(el, 'header button.close')[0]!.click();
      await expect.poll(() => $(el, 'button.launcher')).toHaveLength(1);
      expect($(el, '.queue')).toHaveLength(0);
      expect(live.subscriptions).toBe(0);
      // A change while closed renders nothing.
      await client.enqueue({ ...op, lane: `closed-${round}` });
      expect($(el, '.queue')).toHaveLength(0);
      $(el, 'button.launcher')[0]!.click();
      await expect.poll(() => $(el, '.ops tr.op, .queue').length).toBeGreaterThan(0);
      expect(live.subscriptions).toBe(1);
    }
    unmount();
    expect(live.subscriptions).toBe(0);
  });

  it('labels removing an op never sent "cancel" and a dead letter\'s "discard"', async () => {
    const { client, net, panel } = setup(() => ({ ok: false, retryable: false, status: 422, error: 'no' }));
    const dead = await client.enqueue(op);
    await expect.poll(async () => (await client.get(dead))?.status).toBe('failed');
    net.online = false;
    const queued = await client.enqueue({ ...op, lane: 'later' });
    const el = await panel();
    await el.select(queued);
    await expect.poll(() => $(el, '.history button.remove')[0]?.textContent).toBe('cancel');
    await el.select(dead);
    await expect.poll(() => $(el, '.history button.remove')[0]?.textContent).toBe('discard');
  });

  it('makes the origin unreachable for N s from its pause button: the op waits, nothing is sent', async () => {
    const fetched: string[] = [];
    const fetch = async (url: string | URL | Request) => {
      fetched.push(String(url));
      return new Response(null, { status: 204 });
    };
    const { client, requests, panel } = setup(() => ({ ok: true }), { fetch });
    const el = await panel();
    ($(el, 'input.pause-seconds')[0] as HTMLInputElement).value = '60';
    $(el, 'button.pause')[0]!.click();
    await expect
      .poll(() => $(el, `li.paused[data-origin="${location.origin}"]`)[0]?.textContent)
      .toMatch(/paused for (59|60) s more/);
    const id = await client.enqueue(op);
    await expect.poll(() => $(el, '.ops tr.op')).toHaveLength(1);
    await client.syncNow();
    expect(await client.get(id)).toMatchObject({ status: 'pending', attempt: 0 });
    expect(fetched).toEqual([]);
    expect(requests).toContain('pauses');
    // A bad number is refused by the host, and the panel says so.
    ($(el, 'input.pause-seconds')[0] as HTMLInputElement).value = '0';
    $(el, 'button.pause')[0]!.click();
    await expect.poll(() => $(el, '.error')[0]?.textContent).toContain('invalid-argument');
  });
});
