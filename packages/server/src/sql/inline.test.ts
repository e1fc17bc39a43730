import { PGlite } from '@electric-sql/pglite';
import { afterAll, expect, it } from 'vitest';
import { inline } from './inline.ts';

const db = new PGlite();
afterAll(() => db.close());

it('writes every value as a literal the database reads back unchanged, never as SQL', async () => {
  const hostile = [`it's`, `back\\slash`, `'; DROP TABLE x; --`, `\\'`, `$2 and $1`, `ünï 🚢`, ''];
  for (const text of hostile) {
    const bytes = new Uint8Array([0, 39, 92, 255]);
    const sql = inline({
      text: 'SELECT $1::text AS t, $2::bytea AS b, $3::int AS n, $4::text AS z',
      params: [text, bytes, 42, null],
    });
    const { rows } = await db.query<{ t: string; b: Uint8Array; n: number; z: null }>(sql);
    expect(rows).toEqual([{ t: text, b: bytes, n: 42, z: null }]);
  }
}, 60_000);

it('refuses a value it has no literal for', () => {
  expect(() => inline({ text: 'SELECT $1', params: [{}] })).toThrow(TypeError);
  expect(() => inline({ text: 'SELECT $1', params: [Number.NaN] })).toThrow(TypeError);
});
