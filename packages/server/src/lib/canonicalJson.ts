/** The JSON text has an object with one member name twice; `message` is the name. */
export class DuplicateMember extends Error {}

/** The text is not JSON (RFC 8259), as `JSON.parse` would refuse it. */
export class NotJson extends Error {}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;

/**
 * JSON text in one canonical form, exactly: members sorted by name, whitespace dropped, strings
 * re-escaped one way (`"\u0041"` is `"A"`), and numbers written as the decimal value they denote,
 * digit for digit (`1.0`, `1` and `10e-1` are one number; `12345678901234567890` and `…891` are two,
 * where `JSON.parse` would round both to one double).
 * @returns null when the text is not JSON
 * @throws DuplicateMember when an object names a member twice (parsers disagree on which one counts)
 */
export function canonicalJson(text: string): string | null {
  const p = { text, at: 0 };
  try {
    skip(p);
    const out = value(p);
    skip(p);
    return p.at === text.length ? out : null;
  } catch (err) {
    if (err instanceof DuplicateMember) throw err;
    // Not JSON, or nested deeper than the stack allows: the bytes stand for themselves.
    if (err instanceof NotJson || err instanceof RangeError) return null;
    throw err;
  }
}

/** A position in JSON text. */
export interface Cursor {
  text: string;
  at: number;
  /** A member named twice is let through (the last one counts, as in `JSON.parse`) instead of thrown. */
  lenient?: boolean;
}

/** Moves past whitespace. */
export function skip(p: Cursor): void {
  while (p.at < p.text.length && ' \t\n\r'.includes(p.text[p.at] as string)) p.at++;
}

export function value(p: Cursor): string {
  const c = p.text[p.at];
  if (c === '{') return object(p);
  if (c === '[') return array(p);
  if (c === '"') return JSON.stringify(string(p));
  for (const literal of ['true', 'false', 'null']) {
    if (p.text.startsWith(literal, p.at)) {
      p.at += literal.length;
      return literal;
    }
  }
  NUMBER.lastIndex = p.at;
  const m = NUMBER.exec(p.text);
  if (!m) throw new NotJson();
  p.at += m[0].length;
  return exactNumber(m[0]);
}

/** Reads a string literal at the cursor. */
export function string(p: Cursor): string {
  STRING.lastIndex = p.at;
  const m = STRING.exec(p.text);
  if (!m) throw new NotJson();
  p.at += m[0].length;
  return JSON.parse(m[0]) as string;
}

function object(p: Cursor): string {
  p.at++;
  const members = new Map<string, string>();
  skip(p);
  if (p.text[p.at] === '}') return (p.at++, '{}');
  for (;;) {
    skip(p);
    if (p.text[p.at] !== '"') throw new NotJson();
    const name = string(p);
    skip(p);
    if (p.text[p.at++] !== ':') throw new NotJson();
    skip(p);
    if (members.has(name) && !p.lenient) throw new DuplicateMember(JSON.stringify(name));
    members.set(name, value(p));
    skip(p);
    const next = p.text[p.at++];
    if (next === '}') break;
    if (next !== ',') throw new NotJson();
  }
  const sorted = [...members].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${sorted.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
}

function array(p: Cursor): string {
  p.at++;
  const items: string[] = [];
  skip(p);
  if (p.text[p.at] === ']') return (p.at++, '[]');
  for (;;) {
    skip(p);
    items.push(value(p));
    skip(p);
    const next = p.text[p.at++];
    if (next === ']') break;
    if (next !== ',') throw new NotJson();
  }
  return `[${items.join(',')}]`;
}

/** A JSON number as `[-]<digits>e<exponent>`, digits without leading or trailing zeros; zero (either sign) is `0`. */
function exactNumber(literal: string): string {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(literal) as RegExpExecArray;
  const [, sign, int, frac = '', exp = '0'] = m;
  let digits = (int as string) + frac;
  let exponent = BigInt(exp) - BigInt(frac.length);
  digits = digits.replace(/^0+/, '');
  if (digits === '') return '0';
  const trailing = digits.length - digits.replace(/0+$/, '').length;
  digits = digits.slice(0, digits.length - trailing);
  exponent += BigInt(trailing);
  return `${sign}${digits}e${exponent}`;
}
