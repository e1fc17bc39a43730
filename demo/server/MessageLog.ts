import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { StoredResponse } from './IdempotencyLedger.ts';

/** One applied request: the message as the server stored it, and what it answered. */
export interface LogEntry {
  key: string;
  fingerprint: string;
  lane: string;
  message: Record<string, unknown> & { seq: number; receivedAt: number };
  response: StoredResponse;
}

/**
 * Applied messages, appended to a JSON-lines file before the response is
 * sent, so that a restart loses none and forgets no idempotency key. Without
 * a path it lives in memory (tests).
 */
export class MessageLog {
  readonly entries: LogEntry[] = [];
  readonly #path: string | undefined;

  constructor(path?: string) {
    this.#path = path;
    if (path && existsSync(path)) {
      for (const line of readFileSync(path, 'utf8').split('\n')) {
        if (!line.trim()) continue;
        try {
          this.entries.push(JSON.parse(line) as LogEntry);
        } catch {
          // A torn last line (killed mid-write) is skipped; its request was never acknowledged.
        }
      }
    }
  }

  get nextSeq(): number {
    return (this.entries.at(-1)?.message.seq ?? 0) + 1;
  }

  append(entry: LogEntry): void {
    if (this.#path) {
      mkdirSync(dirname(this.#path), { recursive: true });
      appendFileSync(this.#path, `${JSON.stringify(entry)}\n`);
    }
    this.entries.push(entry);
  }
}
