import type { JsonValue } from '@ferry/core';

const MAX_CHARS = 200;

/**
 * Why the server refused, from the body it answered with (parsed JSON, or
 * text), so that `lastError.message` says more than the status: the
 * `error`, `message`, `detail` or `title` member of a JSON object, or the
 * start of a text.
 * @returns a single printable line of at most 200 characters, or '' when there is nothing useful
 */
export function reasonOf(body: JsonValue | undefined): string {
  if (typeof body === 'string') {
    // A JSON body sent as text still says its reason in a member.
    try {
      const parsed = JSON.parse(body) as JsonValue;
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return reasonOf(parsed);
    } catch {
      // Not JSON: the text itself.
    }
    return oneLine(body);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return '';
  for (const key of ['error', 'message', 'detail', 'title']) {
    const v = body[key];
    if (typeof v === 'string' && v.trim() !== '') return oneLine(v);
  }
  return '';
}

/** A server-given reason as a single printable line of at most 200 characters. */
export function oneLine(text: string): string {
  return text
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .trim()
    .slice(0, MAX_CHARS);
}
