import { batchPayloads } from './lib/batchPayloads.ts';
import { TooLarge, readBody } from './lib/body.ts';
import { parseKey } from './lib/key.ts';
import { withSignal } from './lib/signal.ts';
import { problem } from './problem.ts';
import type { BatchItem, BatchResult } from '@ferry/core/batch';

export type { BatchItem, BatchResult } from '@ferry/core/batch';

export interface BatchOptions {
  /**
   * Answers one item as if it came alone: usually the app's handler behind
   * the idempotency layer, or the framework's own `fetch` (so middleware runs too).
   */
  dispatch: (req: Request, item: { index: number; op: BatchItem }) => Response | Promise<Response>;
  /** @default 100 (Ferry sends 25 by default) */
  maxItems?: number;
  /** @default 4_194_304 (4 MiB) */
  maxBodyBytes?: number;
  /** Passed on to each item's key check. @default 255 */
  maxKeyLength?: number;
  /** A success's body is carried in its result up to this size. @default 16_384 (@ferry/sw's `maxAnswerBytes`) */
  maxAnswerBytes?: number;
}

const METHOD = /^[A-Z]{1,16}$/;
const NO_BODY = new Set(['GET', 'HEAD', 'DELETE']);
/** The batch's own headers that must not be copied onto its items. */
const NOT_COPIED = new Set(['content-length', 'content-type', 'idempotency-key', 'transfer-encoding']);

/**
 * Ferry's batch endpoint: `POST { ops: [...] }` answered `200 { results: [...] }`.
 * Items run one after the other, each as a request of its own to its
 * `target` with its `Idempotency-Key` and the batch's other headers
 * (credentials included), and the first item answered with a status ≥ 300
 * ends the batch: the items behind it are not attempted and get no result.
 * A batch whose envelope is malformed (not JSON, no `ops` array, 0 ops or
 * more than `maxItems`, over `maxBodyBytes`) is refused whole with a problem
 * details answer and nothing is dispatched. An item that is malformed (not
 * an object, no valid key, a target off the origin, a bad method) gets the
 * 400 it would get alone, as its result, without being dispatched, and ends
 * the batch; the items before it stand.
 */
export function createBatchHandler(options: BatchOptions): (req: Request) => Promise<Response> {
  const maxItems = options.maxItems ?? 100;
  const maxBodyBytes = options.maxBodyBytes ?? 4_194_304;
  const maxKeyLength = options.maxKeyLength ?? 255;
  const maxAnswerBytes = options.maxAnswerBytes ?? 16_384;

  return async (req) => {
    if (req.method !== 'POST')
      return problem(405, 'method-not-allowed', 'a batch is sent with POST', { allow: 'POST' });
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(await readBody(req, maxBodyBytes));
    } catch (err) {
      if (err instanceof TooLarge)
        return problem(413, 'body-too-large', `the batch is larger than ${maxBodyBytes} bytes`);
      return problem(400, 'body-unreadable', 'the batch body could not be read as UTF-8');
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return problem(400, 'batch-malformed', 'the batch body is not JSON');
    }
    const ops = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>)['ops'] : undefined;
    if (!Array.isArray(ops)) return problem(400, 'batch-malformed', 'the batch must be an object with an `ops` array');
    if (ops.length === 0) return problem(400, 'batch-empty', 'the batch has no ops');
    if (ops.length > maxItems)
      return problem(400, 'batch-too-large', `the batch has ${ops.length} ops; at most ${maxItems} are taken`);
    const base = new URL(req.url);
    // Each payload is forwarded as its client wrote it (a re-serialised one could differ: big integers).
    const payloads = batchPayloads(text);
    const results: BatchResult[] = [];
    for (const [index, op] of ops.entries()) {
      const checked = checkItem(op, base, maxKeyLength);
      if ('error' in checked) {
        // Refused as it would be alone (400), before anything of it is stored; the batch ends here.
        results.push({ status: 400, error: checked.error });
        break;
      }
      const { item, url } = checked;
      const headers = new Headers();
      req.headers.forEach((v, k) => {
        if (!NOT_COPIED.has(k)) headers.append(k, v);
      });
      headers.set('idempotency-key', item.idempotencyKey);
      const hasBody = !NO_BODY.has(item.method) && item.payload !== undefined;
      if (hasBody) headers.set('content-type', 'application/json');
      const itemReq = withSignal(
        new Request(url, {
          method: item.method,
          headers,
          ...(hasBody && { body: payloads?.get(index) ?? JSON.stringify(item.payload) }),
        }),
        () => req.signal,
      );
      let res: Response;
      try {
        res = await options.dispatch(itemReq, { index, op: item });
      } catch {
        res = problem(500, 'handler-failed', 'the item failed');
      }
      const result = await toResult(res, maxAnswerBytes);
      results.push(result);
      if (result.status >= 300) break;
    }
    return new Response(JSON.stringify({ results }), {
      status: 200,
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    });
  };
}

/** Validates one item of the batch, as its request would be validated alone. */
function checkItem(op: unknown, base: URL, maxKeyLength: number): { item: BatchItem; url: URL } | { error: string } {
  if (typeof op !== 'object' || op === null || Array.isArray(op)) return { error: 'not an object' };
  const o = op as Record<string, unknown>;
  const target = o['target'];
  const method = o['method'] ?? 'POST';
  const key = o['idempotencyKey'];
  if (typeof target !== 'string' || target === '') return { error: 'target must be a same-origin path or URL' };
  if (typeof method !== 'string' || !METHOD.test(method)) return { error: 'method must be an HTTP method in capitals' };
  if (key === undefined || key === null || key === '') return { error: 'an Idempotency-Key is required' };
  if (typeof key !== 'string') return { error: 'idempotencyKey must be a string' };
  const k = parseKey(key, maxKeyLength);
  if ('error' in k) return { error: `Idempotency-Key refused: ${k.error}` };
  let url: URL;
  try {
    url = new URL(target, base);
  } catch {
    return { error: 'target must be a same-origin path or URL' };
  }
  if (url.origin !== base.origin) return { error: 'target must be a same-origin path or URL' };
  return { item: { ...(o as Partial<BatchItem>), target, method, idempotencyKey: key }, url };
}

/** Reads the status, the body, a refusal's short reason and `Retry-After` from an item's answer. */
async function toResult(res: Response, maxAnswerBytes: number): Promise<BatchResult> {
  const result: BatchResult = { status: res.status };
  const retryAfter = res.headers.get('retry-after');
  const body = await answerBody(res, maxAnswerBytes);
  if (body !== undefined) result.body = body;
  if (res.status >= 300 && typeof body === 'object' && body !== null) {
    const fields = body as Record<string, unknown>;
    const reason = fields['detail'] ?? fields['error'] ?? fields['title'];
    if (typeof reason === 'string') result.error = reason.slice(0, 500);
  }
  if (retryAfter !== null) result.retryAfter = retryAfter;
  return result;
}

/** An answer's body as parsed JSON, or text; undefined when empty, unreadable or over `limit` bytes. */
async function answerBody(res: Response, limit: number): Promise<unknown> {
  let bytes: Uint8Array;
  try {
    bytes = await readBody(res, limit);
  } catch {
    return undefined;
  }
  if (bytes.byteLength === 0) return undefined;
  const text = new TextDecoder().decode(bytes);
  if (!/[/+]json\b/i.test(res.headers.get('content-type') ?? '')) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
