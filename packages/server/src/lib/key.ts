/**
 * Reads an `Idempotency-Key` value. The IETF draft makes it a Structured
 * Field string (`"8e03978e-…"`, RFC 8941 §3.3.3); Ferry's client and most
 * others send the bare token, so both are accepted. Either way the key is
 * visible ASCII only: no control characters, no spaces outside quotes, no
 * bytes above 0x7E.
 * @returns the key, or why it is refused
 */
export function parseKey(raw: string, maxLength: number): { key: string } | { error: string } {
  let key = raw;
  if (raw.startsWith('"')) {
    if (raw.length < 2 || !raw.endsWith('"')) return { error: 'a quoted key must end with a quote' };
    key = '';
    for (let i = 1; i < raw.length - 1; i++) {
      let c = raw.charCodeAt(i);
      if (c === 0x5c) {
        c = raw.charCodeAt(++i);
        if (c !== 0x22 && c !== 0x5c) return { error: 'a quoted key may only escape " and \\' };
      } else if (c === 0x22) return { error: 'a quote inside a quoted key must be escaped' };
      if (c < 0x20 || c > 0x7e || i >= raw.length - 1)
        return { error: 'the key has a character outside printable ASCII' };
      key += String.fromCharCode(c);
    }
  } else {
    for (let i = 0; i < raw.length; i++) {
      const c = raw.charCodeAt(i);
      if (c <= 0x20 || c > 0x7e)
        return { error: 'the key has a control character, a space or a character outside ASCII' };
    }
  }
  if (key.length === 0) return { error: 'the key is empty' };
  if (key.length > maxLength) return { error: `the key is longer than ${maxLength} characters` };
  return { key };
}
