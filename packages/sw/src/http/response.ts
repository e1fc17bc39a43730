import type { JsonValue, ServerAnswer, Timers } from '@ferry/core';
import { readBody } from './readBody.ts';

/** An answer as read: what is kept of it, and the text read (for the reason of a refusal). */
export interface ReadAnswer {
  answer: ServerAnswer;
  /** What was read of the body, also a cut or untyped one; '' when nothing was read. */
  text: string;
}

/** How {@link readAnswer} reads. */
export interface ReadOptions {
  /** Response headers to keep, lower-cased. */
  keep: readonly string[];
  maxBytes: number;
  timeoutMs: number;
  /** What `timeoutMs` runs on: the send's. */
  timers: Timers;
  /** Also read a body that is neither JSON nor text (for a refusal's reason); it is not kept. @default false */
  anyType?: boolean;
}

/**
 * What the transport keeps of an answer: its status, the headers the app
 * named (`keep`, lower-cased), and its body when it is JSON or text within
 * `maxBytes` (parsed JSON, or the text; a larger one is `truncated`), read
 * for at most `timeoutMs`. With `anyType` (a refusal, whose reason is
 * wanted), a body of another or no type is read too, but not kept.
 */
export async function readAnswer(res: Response, how: ReadOptions): Promise<ReadAnswer> {
  const { keep, maxBytes, timeoutMs, timers, anyType = false } = how;
  const answer: ServerAnswer = { status: res.status };
  const headers: Record<string, string> = {};
  for (const name of keep) {
    const value = res.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  if (Object.keys(headers).length > 0) answer.headers = headers;
  const type = res.headers.get('Content-Type') ?? '';
  const json = /\bjson\b/i.test(type);
  const typed = json || /^text\//i.test(type);
  if (!typed && !anyType) {
    discardBody(res);
    return { answer, text: '' };
  }
  const body = await readBody(res, maxBytes, Math.max(0, timeoutMs), timers);
  if (!typed) return { answer, text: body.text };
  if (!body.complete) answer.truncated = true;
  else if (body.text !== '') {
    try {
      answer.body = json ? (JSON.parse(body.text) as JsonValue) : body.text;
    } catch {
      answer.body = body.text;
    }
  }
  return { answer, text: body.text };
}

/** A body nobody reads; cancelling it frees the connection sooner. */
export function discardBody(res: Response): void {
  if (res.body && !res.bodyUsed) res.body.cancel().catch(() => {});
}
