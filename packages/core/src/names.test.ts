import { describe, expect, it } from 'vitest';
import { FerryError } from './FerryError.ts';
import { ferryNames } from './names.ts';
import { CHANNEL_NAME, LOCK_NAME, SYNC_TAG } from './protocol/names.ts';

describe('ferryNames', () => {
  it('gives the default app the names queues were stored under before names existed', () => {
    expect(ferryNames()).toEqual({
      name: undefined,
      database: 'ferry',
      lock: LOCK_NAME,
      channel: CHANNEL_NAME,
      syncTag: SYNC_TAG,
    });
  });

  it('prefixes every name with ferry-<name>', () => {
    expect(ferryNames('app.1')).toEqual({
      name: 'app.1',
      database: 'ferry-app.1',
      lock: 'ferry-app.1-runner',
      channel: 'ferry-app.1',
      syncTag: 'ferry-app.1',
    });
  });

  it('refuses a name that is not 1 to 64 letters, digits, ".", "_" or "-" with invalid-config', () => {
    for (const bad of ['', '-x', 'a b', 'x'.repeat(65), 7 as unknown as string]) {
      expect(() => ferryNames(bad)).toThrow(expect.objectContaining({ code: 'invalid-config' }) as FerryError);
    }
    expect(ferryNames('x'.repeat(64)).channel).toBe(`ferry-${'x'.repeat(64)}`);
  });
});
