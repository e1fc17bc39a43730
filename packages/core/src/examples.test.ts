// The example programs are documentation that runs: check they still tell their story.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const run = (file: string): string => execFileSync('pnpm', ['exec', 'tsx', file], { cwd: root, encoding: 'utf8' });

describe('examples', () => {
  it('main: saved → offline attempt → attempt, last error, next retry → recovers → done', () => {
    const out = run('examples/main.ts');
    const story = [
      /\[app\] operation saved: \S{21}/,
      /\[worker\] processed: 1/,
      /\[outbox\] attempt: 1/,
      /\[outbox\] last_error: network offline/,
      /\[outbox\] next_retry_at_ms: \d+/,
      /\[app\] network recovers/,
      /\[outbox\] final status: done/,
      /\[outbox\] operation completed/,
    ];
    let from = 0;
    for (const line of story) {
      const at = out.slice(from).search(line);
      expect(at, `${line} after position ${from} in:\n${out}`).toBeGreaterThanOrEqual(0);
      from += at;
    }
  }, 20_000);

  it('wal_demo: replays put, claim, done in LSN order and resumes past the last record', () => {
    const out = run('examples/wal_demo.ts');
    expect(out).toMatch(/lsn=1 id=op_1 type=put[\s\S]*lsn=2 id=op_1 type=claim[\s\S]*lsn=3 id=op_1 type=done/);
    expect(out).toMatch(/second replay from 4: 0 records/);
  }, 20_000);
});
