/** The host's allow-list of origins (normalised, refused when not origins) and its app name (a named host answers its own app only). */
import { describe, expect, it } from 'vitest';
import { FerryHost } from './FerryHost.ts';
import type { Reply } from '@ferry/core/protocol';
import { API, setup } from './testSupport.ts';

describe('allowedOrigins and names', () => {
  it('normalises allowedOrigins and refuses entries that are not origins', () => {
    expect(
      () => new FerryHost({ allowedOrigins: ['https://API.example:443/', 'http://localhost:8080'] }),
    ).not.toThrow();
    for (const entry of [
      'https://api.example/v1',
      'api.example',
      'ftp://api.example',
      'https://u:p@api.example',
      '',
      { origin: API, credentials: 'always' },
    ]) {
      expect(() => new FerryHost({ allowedOrigins: [entry as string] })).toThrow(
        expect.objectContaining({ code: 'invalid-config' }),
      );
    }
  });

  it('an upper-case or trailing-slash allowedOrigins entry matches targets on that origin', async () => {
    const { host, call } = setup(undefined, { allowedOrigins: ['https://API.example/'] });
    expect(await call({ type: 'enqueue', op: { kind: 'k', target: `${API}/x`, payload: null } })).toMatchObject({
      target: `${API}/x`,
    });
    await host.close();
  });

  it('a named host answers only its own app; a request for no host here is refused, not left waiting', async () => {
    expect(() => new FerryHost({ name: 'bad name' })).toThrow(expect.objectContaining({ code: 'invalid-config' }));
    const one = setup(undefined, { name: 'app1' });
    const replies: Reply[] = [];
    await one.host.receive(
      { ferry: true, v: 1, id: 'x', type: 'stats' },
      { postMessage: (m: Reply) => void replies.push(m) },
    );
    await one.host.receive(
      { ferry: true, v: 1, id: 'y', type: 'stats', name: 'app2' },
      { postMessage: (m: Reply) => void replies.push(m) },
    );
    expect(replies).toEqual([]);
    await one.host.receive(
      { ferry: true, v: 1, id: 'z', type: 'stats', name: 'app1' },
      { postMessage: (m: Reply) => void replies.push(m) },
    );
    expect(replies).toMatchObject([{ id: 'z', ok: true }]);
    expect(one.host.names).toEqual({
      name: 'app1',
      database: 'ferry-app1',
      lock: 'ferry-app1-runner',
      channel: 'ferry-app1',
      syncTag: 'ferry-app1',
    });
    await one.host.close();
  });
});
