import { PGlite } from '@electric-sql/pglite';
import { afterAll, expect, it } from 'vitest';
import { script } from './script.ts';

const db = new PGlite();
afterAll(() => db.close());

it('writes every value as a literal the database reads back unchanged, never as SQL', async () => {
  const hostile = [`it's`, `back\\slash`, `'; DROP TABLE x; --`, `\\'`, `$2 and $1`, `ünï 🚢`, ''];
  const connection = {};
  for (const text of hostile) {
    const bytes = new Uint8Array([0, 39, 92, 255]);
    const { text: sql, at } = script(connection, [
      'BEGIN',
      { text: 'SELECT $1::text AS t, $2::bytea AS b, $3::int AS n, $4::text AS z', params: [text, bytes, 42, null] },
      'COMMIT',
    ]);
    const results = await db.exec(sql);
    expect(results[at[1]!]?.rows).toEqual([{ t: text, b: bytes, n: 42, z: null }]);
  }
}, 60_000);

it('prepares a statement once per connection and executes it after', () => {
  const first = script({}, [{ text: 'SELECT $1::int AS n', params: [1] }, 'COMMIT']);
  expect(first.text).toMatch(/^PREPARE ferry_sql_\w+ AS SELECT \$1::int AS n; EXECUTE ferry_sql_\w+\(1\); COMMIT$/);
  expect(first.at).toEqual([1, 2]);
  const connection = {};
  script(connection, [{ text: 'SELECT $1::int AS n', params: [1] }]);
  const again = script(connection, [{ text: 'SELECT $1::int AS n', params: [2] }]);
  expect(again).toEqual({ text: expect.stringMatching(/^EXECUTE ferry_sql_\w+\(2\)$/), at: [0] });
});

it('refuses a value it has no literal for', () => {
  expect(() => script({}, [{ text: 'SELECT $1', params: [{}] }])).toThrow(TypeError);
  expect(() => script({}, [{ text: 'SELECT $1', params: [Number.NaN] }])).toThrow(TypeError);
});
