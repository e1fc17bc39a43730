import { describe, expect, it } from 'vitest';
import { FerryError } from './FerryError.ts';

describe('FerryError', () => {
  it('crosses postMessage as {code, message} and is rebuilt', () => {
    const err = new FerryError('quota-exceeded', 'disk full');
    const wire = structuredClone(err.toJSON());
    const back = FerryError.from(wire);
    expect(back).toBeInstanceOf(FerryError);
    expect(back).toMatchObject({ code: 'quota-exceeded', message: 'disk full', name: 'FerryError' });
  });

  it('turns anything malformed into a protocol-error', () => {
    for (const junk of [undefined, null, 'x', { code: 7, message: 'm' }, { code: 'closed' }]) {
      expect(FerryError.from(junk).code).toBe('protocol-error');
    }
  });

  it('keeps a code it does not know (a newer host), still as a FerryError', () => {
    const back = FerryError.from({ code: 'some-new-code', message: 'm' });
    expect(back).toBeInstanceOf(FerryError);
    expect(back.code).toBe('some-new-code');
  });
});
