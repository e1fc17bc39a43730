import { nanoid } from 'nanoid';
import { FerryError } from '../FerryError.ts';
import type { HttpMethod, JsonValue, Operation, OperationInput } from '../Operation.ts';
import { HTTP_METHODS } from '../Operation.ts';
import { errorMessage } from './errorMessage.ts';
import { targetUrl } from './targetUrl.ts';
import { checkName as checkAnyName, checkUserId } from './userId.ts';

export interface InputRules {
  /** The app's own origin, e.g. `https://app.example`; absolute targets on it are allowed. */
  origin?: string;
  /** Other origins absolute targets may point at. */
  allowedOrigins: readonly string[];
  maxPayloadBytes: number;
}

/** An input that passed validation, with its defaults filled in. */
export type ValidInput = Pick<
  Operation,
  'id' | 'kind' | 'target' | 'method' | 'payload' | 'lane' | 'idempotencyKey' | 'user' | 'coalesceKey' | 'trace'
> & {
  /** Whether the caller chose the id (only then can it collide with a stored one). */
  idGiven: boolean;
  /** How it folds into a pending op with its `coalesceKey`. */
  coalesceMode?: 'replace' | 'merge';
};

/** An op's `trace`: a W3C `traceparent` of version 00 (https://www.w3.org/TR/trace-context/#traceparent-header). */
const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

function fail(
  code: 'invalid-operation' | 'target-not-allowed' | 'payload-not-cloneable' | 'payload-too-large',
  message: string,
): never {
  throw new FerryError(code, message);
}

const checkName = (value: unknown, field: string): string => checkAnyName(value, field, 'invalid-operation');

/** A lane name: also never holds a NUL, which joins a lane and a user in the store (see laneId). */
const checkKeyName = (value: unknown, field: string): string => checkAnyName(value, field, 'invalid-operation', true);

/** Relative targets resolve against this when the Outbox was given no origin (Node, tests). */
const NO_ORIGIN = 'http://ferry.invalid';
/** Deeper payloads are refused: nothing legitimate nests this far, and copying must not blow the stack. */
const MAX_DEPTH = 100;

/**
 * Rejects anything that is not a same-origin path or a URL on an allowed
 * origin, by the URL parser's own reading ({@link targetUrl}, the check the
 * transport repeats at send time): `/\t/evil.example/x` is `//evil.example/x`
 * to it, so it is refused here too.
 */
function checkTarget(target: unknown, rules: InputRules): string {
  if (typeof target !== 'string' || target === '') fail('invalid-operation', 'target must be a non-empty string');
  // An app enqueues to a few targets: each accepted one is parsed once per set of rules.
  let known = accepted.get(rules);
  if (!known) accepted.set(rules, (known = new Map()));
  const seen = known.get(target);
  if (seen !== undefined) return seen;
  const stored = parseTarget(target, rules);
  if (known.size >= KNOWN_TARGETS) known.clear();
  known.set(target, stored);
  return stored;
}

/** How many accepted targets {@link checkTarget} keeps per set of rules. */
const KNOWN_TARGETS = 256;
const accepted = new WeakMap<InputRules, Map<string, string>>();

function parseTarget(target: string, rules: InputRules): string {
  const origin = rules.origin ?? NO_ORIGIN;
  if (target.startsWith('/')) {
    const url = targetUrl(target, origin, []);
    if (typeof url === 'string' || url.origin !== new URL(origin).origin) {
      fail(
        'target-not-allowed',
        `target ${JSON.stringify(target)} resolves to another origin than ${origin}; absolute URLs on allow-listed origins are written out in full`,
      );
    }
    return target;
  }
  let absolute: URL;
  try {
    absolute = new URL(target);
  } catch {
    fail(
      'target-not-allowed',
      `target ${JSON.stringify(target)} is neither a path starting with "/" nor an absolute URL`,
    );
  }
  const url = targetUrl(absolute.href, origin, rules.allowedOrigins);
  if (typeof url === 'string')
    fail('target-not-allowed', `${url.replace(/^target-not-allowed: /, '')}; add it to allowedOrigins`);
  return url.href;
}

/**
 * Copies `value` as plain JSON data, reading each property once: plain
 * objects, arrays, strings, finite numbers, booleans and null, without cycles
 * and at most {@link MAX_DEPTH} deep. What is stored is this copy, never the
 * app's object: a Proxy (Vue, MobX) or a getter is read here, where what it
 * throws is a typed `payload-not-cloneable`, and not inside the storage
 * transaction, where it would sink every enqueue of the group commit.
 * Keys such as `__proto__` are kept as plain data (defined, never assigned).
 * The path a message names (`payload.items[2]`) is spelled out only when one fails.
 */
function snapshot(value: unknown): JsonValue {
  /** The objects being copied, outermost first, and the key under which each next one was read. */
  const path: unknown[] = [];
  const keys: (string | number)[] = [];
  const at = (): string =>
    keys.reduce<string>((w, k) => (typeof k === 'number' ? `${w}[${k}]` : `${w}.${k}`), 'payload');
  const copy = (v: unknown, depth: number): JsonValue => {
    switch (typeof v) {
      case 'string':
      case 'boolean':
        return v;
      case 'number':
        if (!Number.isFinite(v)) fail('payload-not-cloneable', `${at()} is ${v}, which JSON cannot carry`);
        return v;
      case 'object': {
        if (v === null) return null;
        if (depth >= MAX_DEPTH) fail('payload-not-cloneable', `${at()} is nested deeper than ${MAX_DEPTH} levels`);
        if (path.includes(v)) fail('payload-not-cloneable', `${at()} is a cycle`);
        const isArray = ask(() => Array.isArray(v), at);
        const proto: unknown = ask(() => Object.getPrototypeOf(v), at);
        if (!isArray && proto !== Object.prototype && proto !== null) {
          const name = (proto as { constructor?: { name?: string } } | null)?.constructor?.name ?? 'object';
          fail('payload-not-cloneable', `${at()} is a ${name}, not a plain object`);
        }
        const symbols = ask(() => Object.getOwnPropertySymbols(v), at);
        if (symbols.length > 0) fail('payload-not-cloneable', `${at()} has symbol keys`);
        path.push(v);
        let out: JsonValue;
        if (isArray) {
          const items = v as unknown[];
          const length = items.length;
          const list: JsonValue[] = [];
          for (let i = 0; i < length; i++) {
            const item = read(items, i, at);
            keys.push(i);
            list.push(copy(item, depth + 1));
            keys.pop();
          }
          out = list;
        } else {
          const obj: Record<string, JsonValue> = {};
          for (const key of ask(() => Object.keys(v), at)) {
            const raw = read(v as Record<string, unknown>, key, at);
            keys.push(key);
            const item = copy(raw, depth + 1);
            keys.pop();
            // Assigned `__proto__` would set the prototype: that key alone is defined.
            if (key === '__proto__')
              Object.defineProperty(obj, key, { value: item, enumerable: true, writable: true, configurable: true });
            else obj[key] = item;
          }
          out = obj;
        }
        path.pop();
        return out;
      }
      default:
        fail('payload-not-cloneable', `${at()} is a ${typeof v}`);
    }
  };
  return copy(value, 0);
}

/** Asks a payload value about itself (its keys, its prototype); a Proxy trap that throws is the payload's fault. */
function ask<T>(question: () => T, where: () => string): T {
  try {
    return question();
  } catch (err) {
    fail('payload-not-cloneable', `${where()} could not be inspected: ${errorMessage(err)}`);
  }
}

/** Reads one property of a payload value; a getter or a Proxy trap that throws is the payload's fault. */
function read(obj: object, key: string | number, where: () => string): unknown {
  try {
    return (obj as Record<string | number, unknown>)[key];
  } catch (err) {
    fail('payload-not-cloneable', `${where()}[${JSON.stringify(key)}] could not be read: ${errorMessage(err)}`);
  }
}

/**
 * Validates what an app passed to `enqueue` and fills in defaults. Throws a
 * typed {@link FerryError}, whatever the input does (a getter, a Proxy that
 * throws); runs before any transaction on a copy of the payload, so a bad
 * input can never sink the group commit it would have joined.
 */
export function validateInput(input: unknown, rules: InputRules): ValidInput {
  return guarded('operation', () => validate(input, rules));
}

/** Runs a validation: its own FerryErrors as they are, anything else (a getter or Proxy trap on the input threw, the stack ran out) as `invalid-operation`. */
function guarded<T>(what: string, validation: () => T): T {
  try {
    return validation();
  } catch (err) {
    if (err instanceof FerryError) throw err;
    throw new FerryError('invalid-operation', `the ${what} could not be read: ${errorMessage(err)}`, { cause: err });
  }
}

function validate(input: unknown, rules: InputRules): ValidInput {
  if (typeof input !== 'object' || input === null) fail('invalid-operation', 'an operation must be an object');
  // Each field read once: a getter answers once, and what it answered is what is checked and stored.
  const i = input as Partial<Record<keyof OperationInput, unknown>>;
  const [rawId, rawKind, rawTarget, rawMethod, rawLane, rawKey, rawUser, rawCoalesce, rawTrace] = [
    i.id,
    i.kind,
    i.target,
    i.method,
    i.lane,
    i.idempotencyKey,
    i.user,
    i.coalesce,
    i.trace,
  ];
  const idGiven = rawId !== undefined;
  const id = idGiven ? checkName(rawId, 'id') : nanoid();
  const kind = checkName(rawKind, 'kind');
  const target = checkTarget(rawTarget, rules);
  const method = checkMethod(rawMethod ?? 'POST');
  const lane = rawLane === undefined ? 'default' : checkKeyName(rawLane, 'lane');
  const user = rawUser === undefined ? undefined : checkUserId(rawUser, 'user', 'invalid-operation');
  const idempotencyKey = rawKey === undefined ? nanoid() : checkName(rawKey, 'idempotencyKey');
  if (!('payload' in i)) fail('invalid-operation', 'payload is required (use null for none)');
  const payload = checkPayload(i.payload, rules);
  const coalesce = rawCoalesce === undefined ? undefined : checkCoalesce(rawCoalesce, payload);
  if (rawTrace !== undefined && (typeof rawTrace !== 'string' || !TRACEPARENT.test(rawTrace)))
    fail('invalid-operation', 'trace must be a traceparent');
  return {
    id,
    idGiven,
    kind,
    target,
    method,
    payload,
    lane,
    idempotencyKey,
    ...(user !== undefined && { user }),
    ...(coalesce && { coalesceKey: coalesce.key, coalesceMode: coalesce.mode }),
    ...(rawTrace !== undefined && { trace: rawTrace as string }),
  };
}

function checkMethod(method: unknown): HttpMethod {
  if (!HTTP_METHODS.includes(method as HttpMethod))
    fail('invalid-operation', `method must be one of ${HTTP_METHODS.join(', ')}`);
  return method as HttpMethod;
}

/** A copy of the payload ({@link snapshot}), at most `maxPayloadBytes` as JSON. */
function checkPayload(value: unknown, rules: InputRules): JsonValue {
  const payload = snapshot(value);
  const json = JSON.stringify(payload);
  // A UTF-16 unit is at most 3 bytes of UTF-8: a string that short is under the limit without encoding it.
  if (json.length * 3 <= rules.maxPayloadBytes) return payload;
  // JSON.stringify escapes lone surrogates, so the encoder replaces nothing and counts exactly.
  const bytes = new TextEncoder().encode(json).length;
  if (bytes > rules.maxPayloadBytes)
    fail('payload-too-large', `payload is ${bytes} bytes as JSON; the limit is ${rules.maxPayloadBytes}`);
  return payload;
}

/** A patch for `update` that passed validation: plain copies of the fields it changes. */
export type ValidPatch = Partial<Pick<Operation, 'kind' | 'target' | 'method' | 'payload'>>;

const PATCHABLE: readonly string[] = ['kind', 'target', 'method', 'payload'];

/**
 * Validates an `update` patch as {@link validateInput} validates an input:
 * each field present is read once and checked on its own (the op's lane,
 * user and key are not the patch's to change), the payload copied.
 */
export function validatePatch(patch: unknown, rules: InputRules): ValidPatch {
  return guarded('patch', () => {
    if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
      fail('invalid-operation', 'a patch must be an object');
    }
    const fields = Object.keys(patch);
    const bad = fields.find((k) => !PATCHABLE.includes(k));
    const only = PATCHABLE.join(', ');
    if (bad !== undefined) fail('invalid-operation', `${bad} cannot be changed by update; only ${only}`);
    const p = patch as Partial<Record<keyof ValidPatch, unknown>>;
    const out: ValidPatch = {};
    if (fields.includes('kind')) out.kind = checkName(p.kind, 'kind');
    if (fields.includes('target')) out.target = checkTarget(p.target, rules);
    if (fields.includes('method')) out.method = checkMethod(p.method);
    if (fields.includes('payload')) out.payload = checkPayload(p.payload, rules);
    return out;
  });
}

function checkCoalesce(raw: unknown, payload: JsonValue): { key: string; mode: 'replace' | 'merge' } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    fail('invalid-operation', 'coalesce must be an object { key, mode? }');
  const c = raw as { key?: unknown; mode?: unknown };
  const [key, mode] = [c.key, c.mode ?? 'replace'];
  const name = checkName(key, 'coalesce.key');
  if (mode !== 'replace' && mode !== 'merge') fail('invalid-operation', 'coalesce.mode must be "replace" or "merge"');
  if (mode === 'merge' && (typeof payload !== 'object' || payload === null || Array.isArray(payload))) {
    fail(
      'invalid-operation',
      'coalesce mode "merge" needs an object payload: its fields are merged into the pending op\'s',
    );
  }
  return { key: name, mode };
}
