import type { Cursor } from './canonicalJson.ts';
import { NotJson, skip, string, value } from './canonicalJson.ts';

/**
 * The text of each `ops[i].payload` of a batch envelope, exactly as sent (by index), so an item is
 * forwarded with the very payload its client sent: `JSON.parse` then `JSON.stringify` would round
 * integers past 2^53 and drop a member named twice. Null when the text is not a JSON object.
 */
export function batchPayloads(text: string): Map<number, string> | null {
  const p: Cursor = { text, at: 0, lenient: true };
  const found = new Map<number, string>();
  try {
    skip(p);
    members(p, (name) => {
      if (name !== 'ops' || p.text[p.at] !== '[') return void value(p);
      found.clear();
      items(p, (index) => {
        if (p.text[p.at] !== '{') return void value(p);
        members(p, (member) => {
          const start = p.at;
          value(p);
          if (member === 'payload') found.set(index, text.slice(start, p.at));
        });
      });
    });
    return found;
  } catch (err) {
    if (err instanceof NotJson || err instanceof RangeError) return null;
    throw err;
  }
}

/** Walks an object's members; `each` must move the cursor past the member's value. */
function members(p: Cursor, each: (name: string) => void): void {
  if (p.text[p.at++] !== '{') throw new NotJson();
  skip(p);
  if (p.text[p.at] === '}') return void p.at++;
  for (;;) {
    skip(p);
    const name = string(p);
    skip(p);
    if (p.text[p.at++] !== ':') throw new NotJson();
    skip(p);
    each(name);
    skip(p);
    const next = p.text[p.at++];
    if (next === '}') return;
    if (next !== ',') throw new NotJson();
  }
}

/** Walks an array's items; `each` must move the cursor past the item. */
function items(p: Cursor, each: (index: number) => void): void {
  p.at++;
  skip(p);
  if (p.text[p.at] === ']') return void p.at++;
  for (let index = 0; ; index++) {
    skip(p);
    each(index);
    skip(p);
    const next = p.text[p.at++];
    if (next === ']') return;
    if (next !== ',') throw new NotJson();
  }
}
