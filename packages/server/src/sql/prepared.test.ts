import { describe, expect, it } from 'vitest';
import { Prepared } from './prepared.ts';

describe('Prepared', () => {
  it('prepares a statement once, then runs it as EXECUTE with its parameters as literals', async () => {
    const prepared = new Prepared();
    const sent: string[] = [];
    const run = async (text: string) => void sent.push(text);
    const s = { text: 'SELECT $1::text, $2::int', params: ["it's", 2] };
    const first = await prepared.text(s, run);
    expect(first).toMatch(/^EXECUTE ferry_sql_\w+\('it''s', 2\)$/);
    expect(sent).toEqual([`PREPARE ${first.split(' ')[1]?.split('(')[0]} AS SELECT $1::text, $2::int`]);
    expect(await prepared.text({ ...s, params: [null, 3] }, run)).toMatch(/\(NULL, 3\)$/);
    expect(sent).toHaveLength(1);
    // Without parameters: the text as it is, nothing prepared.
    expect(await prepared.text({ text: 'SELECT 1', params: [] }, run)).toBe('SELECT 1');
    expect(sent).toHaveLength(1);
  });

  it('takes a statement the session already prepared as prepared, and tries again after any other failure', async () => {
    const prepared = new Prepared();
    const fail = (code: string) => async () => Promise.reject(Object.assign(new Error(code), { code }));
    await expect(prepared.text({ text: 'SELECT $1::int', params: [1] }, fail('08006'))).rejects.toThrow('08006');
    let tries = 0;
    const already = async () => {
      tries++;
      throw Object.assign(new Error('exists'), { code: '42P05' });
    };
    expect(await prepared.text({ text: 'SELECT $1::int', params: [1] }, already)).toMatch(/^EXECUTE /);
    expect(await prepared.text({ text: 'SELECT $1::int', params: [2] }, already)).toMatch(/\(2\)$/);
    expect(tries).toBe(1);
  });
});
