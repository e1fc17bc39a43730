import { canonicalJson } from './canonicalJson.ts';

export { DuplicateMember } from './canonicalJson.ts';

const utf8 = new TextEncoder();

/**
 * The request's fingerprint: SHA-256 over method, path and payload. A JSON
 * payload is hashed in its exact canonical form ({@link canonicalJson}), so an
 * op sent alone and the same op inside a batch (its payload's text, as sent) have
 * one fingerprint, and two payloads that differ in any value never do.
 * A body that is not UTF-8 JSON is hashed as its bytes.
 * @throws DuplicateMember for a JSON body with a member named twice
 */
export async function fingerprint(method: string, path: string, body: Uint8Array): Promise<string> {
  let payload = body;
  if (body.byteLength > 0) {
    let text: string | undefined;
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body);
    } catch {
      // Not UTF-8: the bytes as they came.
    }
    const canonical = text === undefined ? null : canonicalJson(text);
    if (canonical !== null) payload = utf8.encode(`json:${canonical}`);
  }
  const head = utf8.encode(`${method.toUpperCase()} ${path}\n`);
  const all = new Uint8Array(head.byteLength + payload.byteLength);
  all.set(head);
  all.set(payload, head.byteLength);
  const digest = await crypto.subtle.digest('SHA-256', all);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}
