import { describe, expect, it } from 'vitest';
import { FerryError } from '../FerryError.ts';
import { formatTraceparent, parseTraceparent } from './traceparent.ts';
import { validateInput } from './validateInput.ts';

const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const S = '00f067aa0ba902b7';

describe('traceparent', () => {
  it('reads version 00 and later versions, and writes what it read', () => {
    expect(parseTraceparent(`00-${T}-${S}-01`)).toEqual({ traceId: T, spanId: S, traceFlags: 1 });
    expect(parseTraceparent(`01-${T}-${S}-00-more`)).toEqual({ traceId: T, spanId: S, traceFlags: 0 });
    expect(formatTraceparent({ traceId: T, spanId: S, traceFlags: 1 })).toBe(`00-${T}-${S}-01`);
  });

  it.each([
    ['empty', ''],
    ['null', null],
    ['upper case', `00-${T.toUpperCase()}-${S}-01`],
    ['a zero trace id', `00-${'0'.repeat(32)}-${S}-01`],
    ['a zero span id', `00-${T}-${'0'.repeat(16)}-01`],
    ['version ff', `ff-${T}-${S}-01`],
    ['version 00 with more', `00-${T}-${S}-01-x`],
    ['a short trace id', `00-${T.slice(1)}-${S}-01`],
  ])('refuses %s', (_, value) => {
    expect(parseTraceparent(value)).toBeUndefined();
  });

  it("is kept with an op, and an op's trace that is not one is an invalid-operation", () => {
    const rules = { allowedOrigins: [], maxPayloadBytes: 1000 };
    const op = { kind: 'k', target: '/x', payload: null };
    expect(validateInput({ ...op, trace: `00-${T}-${S}-01` }, rules).trace).toBe(`00-${T}-${S}-01`);
    expect(validateInput(op, rules)).not.toHaveProperty('trace');
    for (const trace of ['nope', 42, `00-${T}-${S}`]) {
      expect(() => validateInput({ ...op, trace }, rules)).toThrow(FerryError);
      expect(() => validateInput({ ...op, trace }, rules)).toThrow(/trace must be a traceparent/);
    }
  });
});
