import { nanoid } from 'nanoid';
import { FerryError } from '../FerryError.ts';
import type { HttpMethod, JsonValue, Operation, OperationInput } from '../Operation.ts';
import { HTTP_METHODS } from '../Operation.ts';

export interface InputRules {
  /** The app's own origin, e.g. `https://app.example`; absolute targets on it are allowed. */
  origin?: string;
  /** Other origins absolute targets may point at. */
  allowedOrigins: readonly string[];
  maxPayloadBytes: number;
}

/** An input that passed validation, with its defaults filled in. */
export type ValidInput = Pick<Operation, 'id' | 'kind' | 'target' | 'method' | 'payload' | 'lane' | 'idempotencyKey'> & {
  /** Whether the caller chose the id (only then can it collide with a stored one). */
  idGiven: boolean;
};

const MAX_ID = 256;

function fail(code: 'invalid-operation' | 'target-not-allowed' | 'payload-not-cloneable' | 'payload-too-large', message: string): never {
  throw new FerryError(code, message);
}

function checkName(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') fail('invalid-operation', `${field} must be a non-empty string`);
  if (value.length > MAX_ID) fail('invalid-operation', `${field} is longer than ${MAX_ID} characters`);
  return value;
}

/** Rejects anything that is not a same-origin path or a URL on an allowed origin. */
function checkTarget(target: unknown, rules: InputRules): string {
  if (typeof target !== 'string' || target === '') fail('invalid-operation', 'target must be a non-empty string');
  // "//host/x" is protocol-relative: a foreign origin in disguise.
  if (target.startsWith('/') && !target.startsWith('//') && !target.startsWith('/\\')) return target;
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    fail('target-not-allowed', `target ${JSON.stringify(target)} is neither a path starting with "/" nor an absolute URL`);
  }
  const allowed = url.origin === rules.origin || rules.allowedOrigins.includes(url.origin);
  if (!allowed || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    fail('target-not-allowed', `origin ${url.origin} is not allowed; add it to allowedOrigins`);
  }
  return url.href;
}

/**
 * Checks that `value` is JSON: plain objects, arrays, strings, finite numbers,
 * booleans and null, without cycles. Returns its UTF-8 size as JSON.
 * Keys such as `__proto__` are kept as plain data: nothing here assigns by key.
 */
function checkPayload(value: unknown, maxBytes: number): number {
  const path: unknown[] = [];
  const walk = (v: unknown, where: string): void => {
    switch (typeof v) {
      case 'string':
      case 'boolean':
        return;
      case 'number':
        if (!Number.isFinite(v)) fail('payload-not-cloneable', `${where} is ${v}, which JSON cannot carry`);
        return;
      case 'object': {
        if (v === null) return;
        if (path.includes(v)) fail('payload-not-cloneable', `${where} is a cycle`);
        const proto = Object.getPrototypeOf(v);
        const isArray = Array.isArray(v);
        if (!isArray && proto !== Object.prototype && proto !== null) {
          const name = (proto as { constructor?: { name?: string } } | null)?.constructor?.name ?? 'object';
          fail('payload-not-cloneable', `${where} is a ${name}, not a plain object`);
        }
        path.push(v);
        if (isArray) (v as unknown[]).forEach((item, i) => walk(item, `${where}[${i}]`));
        else for (const key of Object.keys(v)) walk((v as Record<string, unknown>)[key], `${where}.${key}`);
        if (Object.getOwnPropertySymbols(v).length > 0) fail('payload-not-cloneable', `${where} has symbol keys`);
        path.pop();
        return;
      }
      default:
        fail('payload-not-cloneable', `${where} is a ${typeof v}`);
    }
  };
  walk(value, 'payload');
  // JSON.stringify escapes lone surrogates, so the encoder replaces nothing and counts exactly.
  const bytes = new TextEncoder().encode(JSON.stringify(value)).length;
  if (bytes > maxBytes) fail('payload-too-large', `payload is ${bytes} bytes as JSON; the limit is ${maxBytes}`);
  return bytes;
}

/**
 * Validates what an app passed to `enqueue` and fills in defaults. Throws a
 * typed {@link FerryError}; runs before any transaction so a bad input can
 * never sink the group commit it would have joined.
 */
export function validateInput(input: unknown, rules: InputRules): ValidInput {
  if (typeof input !== 'object' || input === null) fail('invalid-operation', 'an operation must be an object');
  const i = input as Partial<Record<keyof OperationInput, unknown>>;
  const idGiven = i.id !== undefined;
  const id = idGiven ? checkName(i.id, 'id') : nanoid();
  const kind = checkName(i.kind, 'kind');
  const target = checkTarget(i.target, rules);
  const method = i.method ?? 'POST';
  if (!HTTP_METHODS.includes(method as HttpMethod)) fail('invalid-operation', `method must be one of ${HTTP_METHODS.join(', ')}`);
  const lane = i.lane === undefined ? 'default' : checkName(i.lane, 'lane');
  const idempotencyKey = i.idempotencyKey === undefined ? nanoid() : checkName(i.idempotencyKey, 'idempotencyKey');
  if (!('payload' in i)) fail('invalid-operation', 'payload is required (use null for none)');
  checkPayload(i.payload, rules.maxPayloadBytes);
  return { id, idGiven, kind, target, method: method as HttpMethod, payload: i.payload as JsonValue, lane, idempotencyKey };
}
