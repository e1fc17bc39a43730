const utf8 = new TextEncoder();

/** JSON with object keys sorted, so `{"a":1,"b":2}` and `{"b":2,"a":1}` are the same payload. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The request's fingerprint: SHA-256 over method, path and payload. A JSON
 * payload is hashed in canonical form, so an op sent alone (raw body) and
 * the same op inside a batch (a parsed `payload`) have one fingerprint.
 */
export async function fingerprint(method: string, path: string, body: Uint8Array | { json: unknown }): Promise<string> {
  let payload: Uint8Array;
  if (body instanceof Uint8Array) {
    payload = body;
    if (body.byteLength > 0) {
      try {
        payload = utf8.encode(
          `json:${canonicalJson(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body)))}`,
        );
      } catch {
        // Not JSON (or not UTF-8): the bytes as they came.
      }
    }
  } else {
    payload = utf8.encode(`json:${canonicalJson(body.json)}`);
  }
  const head = utf8.encode(`${method.toUpperCase()} ${path}\n`);
  const all = new Uint8Array(head.byteLength + payload.byteLength);
  all.set(head);
  all.set(payload, head.byteLength);
  const digest = await crypto.subtle.digest('SHA-256', all);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}
