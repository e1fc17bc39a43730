import { canonicalJson } from './canonicalJson.ts';

export { DuplicateMember } from './canonicalJson.ts';

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
/**
 * Node's hashing, synchronous and far cheaper per call than `crypto.subtle.digest` (which queues a
 * job on the thread pool); `process.getBuiltinModule` keeps `node:crypto` out of the import graph of
 * runtimes without it, which take `crypto.subtle`. Both give the same digest of the same bytes.
 */
const nodeCrypto = globalThis.process?.getBuiltinModule?.('node:crypto');

/**
 * The request's fingerprint: SHA-256 over method, path and payload. A JSON
 * payload is hashed in its exact canonical form ({@link canonicalJson}), so an
 * op sent alone and the same op inside a batch (its payload's text, as sent) have
 * one fingerprint, and two payloads that differ in any value never do.
 * A body that is not UTF-8 JSON is hashed as its bytes.
 * @throws DuplicateMember for a JSON body with a member named twice
 */
export async function fingerprint(method: string, path: string, body: Uint8Array): Promise<string> {
  const head = `${method.toUpperCase()} ${path}\n`;
  let payload: string | Uint8Array = body;
  if (body.byteLength > 0) {
    let text: string | undefined;
    try {
      text = strictUtf8.decode(body);
    } catch {
      // Not UTF-8: the bytes as they came.
    }
    const canonical = text === undefined ? null : canonicalJson(text);
    if (canonical !== null) payload = `json:${canonical}`;
  }
  if (nodeCrypto) return nodeCrypto.createHash('sha256').update(head).update(payload).digest('hex');
  const tail = typeof payload === 'string' ? utf8.encode(payload) : payload;
  const headBytes = utf8.encode(head);
  const all = new Uint8Array(headBytes.byteLength + tail.byteLength);
  all.set(headBytes);
  all.set(tail, headBytes.byteLength);
  const digest = await crypto.subtle.digest('SHA-256', all);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}
