/** The host's validator of what a page posts: anything malformed is refused before it reaches the engine. */
import type { OperationStatus } from '../Operation.ts';
import { OPERATION_STATUSES } from '../Operation.ts';
import { isRecord } from '../lib/isRecord.ts';
import { MAX_BATCH, PROTOCOL_VERSION } from './names.ts';
import type { Request, RequestType } from './messages.ts';

export type Parsed = { ok: true; request: Request } | { ok: false; id: string | null; message: string };

/**
 * One field of a message: what it must be (a test, or the shape of the object it holds), how a refusal says
 * that, and whether it may be absent.
 */
type Rule = readonly [test: ((v: unknown) => boolean) | Shape, what: string, optional?: 1];
/** The fields a message (or an object inside one) is rebuilt from; any other field is dropped. */
interface Shape {
  readonly [field: string]: Rule;
}

const MAX_ID = 256;
/** Most ids one `retry` filter may name. */
const MAX_RETRY_IDS = 10_000;

const isName = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= MAX_ID;
const any = (): boolean => true;
const NAME = 'a non-empty string';
const OP_ID: Rule = [isName, NAME];
const USER: Rule = [isName, NAME, 1];
const QUERY: Shape = {
  status: [(v) => OPERATION_STATUSES.includes(v as OperationStatus), 'a status', 1],
  lane: [isName, NAME, 1],
  user: USER,
  limit: [(v) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 10_000, 'an integer in [1, 10000]', 1],
};

/**
 * Every request type and its fields. The op inside `enqueue` is only checked to be an object here: the Outbox
 * validates it fully before anything is written; each op of an `enqueueBatch` is left to the Outbox too, so a
 * bad one is refused on its own, in its own result, and never sinks the others. Fields tested with `any` are
 * the host's to check (a typed error says what is wrong); here only their presence.
 */
const SHAPES: { readonly [type in RequestType]: Shape } = {
  enqueue: { op: [isRecord, 'an op object'] },
  // Copied with Array.from, which turns holes into undefined: the Outbox refuses those per op.
  enqueueBatch: {
    ops: [(v) => Array.isArray(v) && v.length > 0 && v.length <= MAX_BATCH, `an array of 1 to ${MAX_BATCH} ops`],
  },
  update: { opId: OP_ID, patch: [any, 'a patch'] },
  // Exactly one of the two (checked before the shape): a malformed request never widens into "retry every dead letter".
  retry: {
    opId: [isName, NAME, 1],
    filter: [
      {
        lane: [isName, NAME, 1],
        user: USER,
        ids: [
          (v) => Array.isArray(v) && v.length <= MAX_RETRY_IDS && v.every(isName),
          `an array of at most ${MAX_RETRY_IDS} ids`,
          1,
        ],
      },
      'an object',
      1,
    ],
  },
  get: { opId: OP_ID },
  remove: { opId: OP_ID },
  list: { query: [QUERY, 'an object', 1] },
  stats: { query: [{ user: USER }, 'an object', 1] },
  status: {
    doneSince: [(v) => Number.isFinite(v), 'a finite number', 1],
    user: [(v) => v === null || typeof v === 'string', 'a string or null', 1],
  },
  signIn: { user: [any, 'a user'] },
  setCredentials: {
    user: [any, 'a user'],
    credentials: [isRecord, 'a credentials object'],
    epoch: [(v) => Number.isInteger(v) && (v as number) >= 0, 'an integer >= 0', 1],
  },
  signOut: { user: [any, 'a user'], discard: [(v) => typeof v === 'boolean', 'true or false', 1] },
  syncNow: { waitMs: [(v) => typeof v === 'number' && v >= 0, 'a number >= 0', 1] },
  ping: {},
  // Its fields are checked by the host's DevTools entry, the only one that serves it.
  history: { query: [isRecord, 'a query object'] },
  // Served by the DevTools entry, which checks the pause's fields; without one, the pauses running.
  pauses: { pause: [isRecord, 'an object', 1] },
  kick: { reason: [(v) => v === 'online' || v === 'visible' || v === 'kick', 'online, visible or kick'] },
};

/**
 * Copies the fields `shape` names from `data`, each checked (arrays copied, objects rebuilt by their own
 * shape), or says which one is wrong, by its path (`retry.filter.ids`).
 */
function walk(data: Record<string, unknown>, shape: Shape, at: string): Record<string, unknown> | string {
  const out: Record<string, unknown> = {};
  for (const field of Object.keys(shape)) {
    const [test, what, optional] = shape[field] as Rule;
    const value = data[field];
    if (value === undefined && optional) continue;
    const bad = `${at}.${field} must be ${what}`;
    if (typeof test !== 'function') {
      const inner = isRecord(value) ? walk(value, test, `${at}.${field}`) : bad;
      if (typeof inner === 'string') return inner;
      out[field] = inner;
    } else if (!test(value)) return bad;
    else out[field] = Array.isArray(value) ? Array.from(value as unknown[]) : value;
  }
  return out;
}

/**
 * Checks an incoming message by shape (`SHAPES`) and rebuilds it from the known fields only. Anything
 * else — another version, an unknown `type`, a missing or mistyped field — is refused with a reason; the
 * caller runs nothing.
 */
export function parseRequest(data: unknown): Parsed {
  if (!isRecord(data)) return { ok: false, id: null, message: 'a request must be an object' };
  const id = isName(data['id']) ? data['id'] : null;
  const bad = (message: string): Parsed => ({ ok: false, id, message });
  if (data['v'] !== PROTOCOL_VERSION)
    return bad(`unsupported protocol version ${JSON.stringify(data['v'])}; expected ${PROTOCOL_VERSION}`);
  if (id === null) return bad('a request needs an id: a non-empty string');
  const type = data['type'];
  // An own property of the table: the type string selects a shape, never an inherited property or a function.
  if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(SHAPES, type))
    return bad(`unknown request type ${JSON.stringify(String(type)).slice(0, 80)}`);
  if (type === 'retry' && (data['opId'] === undefined) === (data['filter'] === undefined))
    return bad('retry needs either an opId or a filter');
  const fields = walk(data, SHAPES[type as RequestType], type);
  if (typeof fields === 'string') return bad(fields);
  return { ok: true, request: { ...fields, type, v: PROTOCOL_VERSION, id } as unknown as Request };
}
