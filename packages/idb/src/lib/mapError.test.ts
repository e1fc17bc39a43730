import { describe, expect, it } from 'vitest';
import { FerryError } from './core.ts';
import { isQuotaError, mapError } from './mapError.ts';

const dom = (name: string, message = 'x'): DOMException => new DOMException(message, name);

describe('mapError', () => {
  it('passes a FerryError through unchanged', () => {
    const err = new FerryError('duplicate-id', 'dup');
    expect(mapError(err, 'transaction')).toBe(err);
    expect(mapError(err, 'open')).toBe(err);
  });

  it('maps QuotaExceededError to quota-exceeded, keeping the cause', () => {
    const cause = dom('QuotaExceededError', 'The quota has been exceeded.');
    const mapped = mapError(cause, 'transaction');
    expect(mapped).toBeInstanceOf(FerryError);
    expect(mapped).toMatchObject({ code: 'quota-exceeded', cause });
    expect(mapError(cause, 'open')).toMatchObject({ code: 'quota-exceeded' });
  });

  it("maps Chromium's quota aborts and unknown errors to quota-exceeded", () => {
    expect(mapError(dom('AbortError', 'QuotaExceededError: the quota was exceeded'), 'transaction')).toMatchObject({
      code: 'quota-exceeded',
    });
    expect(
      mapError(dom('UnknownError', 'Encountered full disk while opening backing store'), 'transaction'),
    ).toMatchObject({ code: 'quota-exceeded' });
    // Plain objects shaped like a DOMException count too (errors rebuilt across contexts).
    expect(mapError({ name: 'QuotaExceededError', message: 'q' }, 'transaction')).toMatchObject({
      code: 'quota-exceeded',
    });
  });

  it('maps other aborts and backing-store failures in a transaction to storage-unavailable', () => {
    for (const name of ['AbortError', 'UnknownError', 'InvalidStateError', 'NotReadableError']) {
      expect(mapError(dom(name, 'The transaction was aborted.'), 'transaction')).toMatchObject({
        code: 'storage-unavailable',
      });
    }
  });

  it('maps caller bugs in a transaction to their own codes', () => {
    expect(mapError(dom('DataCloneError'), 'transaction')).toMatchObject({ code: 'payload-not-cloneable' });
    expect(mapError(dom('TransactionInactiveError'), 'transaction')).toMatchObject({ code: 'invalid-state' });
    expect(mapError(dom('ReadOnlyError'), 'transaction')).toMatchObject({ code: 'invalid-state' });
  });

  it('returns other transaction errors as they are', () => {
    const bug = new TypeError('x is not a function');
    expect(mapError(bug, 'transaction')).toBe(bug);
    const dataError = dom('DataError');
    expect(mapError(dataError, 'transaction')).toBe(dataError);
    expect(mapError(dom('constructor'), 'transaction')).toBeInstanceOf(DOMException); // no prototype lookups
  });

  it('maps every open failure to storage-unavailable', () => {
    for (const err of [
      dom('InvalidStateError'),
      dom('SecurityError'),
      dom('VersionError'),
      dom('AbortError'),
      new Error('upgrade failed'),
      'weird',
    ]) {
      expect(mapError(err, 'open')).toMatchObject({ code: 'storage-unavailable' });
    }
  });
});

describe('isQuotaError', () => {
  it('does not take an ordinary abort for a quota error', () => {
    expect(isQuotaError(dom('AbortError', 'The transaction was aborted, so the request cannot be fulfilled.'))).toBe(
      false,
    );
    expect(isQuotaError(null)).toBe(false);
    expect(isQuotaError(dom('QuotaExceededError'))).toBe(true);
  });
});
