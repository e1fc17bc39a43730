/**
 * The two databases every server suite runs over: one PGlite (in memory) and
 * one throwaway Postgres per test file, each test on tables of its own.
 */
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import type { Sql } from '../IdempotencyStore.ts';
import { PgStore } from '../PgStore.ts';
import { PgliteStore } from '../PgliteStore.ts';
import type { SqlStore } from '../sql/SqlStore.ts';
import type { TestPostgres } from './postgres.ts';
import { startPostgres } from './postgres.ts';

export interface Database {
  name: string;
  /** A store on a table of its own; closed by the caller. */
  store(): Promise<SqlStore>;
  /** The same database, outside any store. */
  sql(): Sql;
  /** A fresh table name. */
  table(prefix: string): string;
}

let n = 0;
const fresh = (prefix: string): string => `${prefix}_${process.pid}_${++n}`;

/** Registers the file's beforeAll/afterAll and returns both databases. */
export function useDatabases(): Database[] {
  let lite: PGlite | undefined;
  let postgres: TestPostgres | undefined;
  let admin: pg.Pool | undefined;
  beforeAll(async () => {
    lite = new PGlite();
    [postgres] = await Promise.all([startPostgres(), lite.waitReady]);
    admin = new pg.Pool({ connectionString: postgres.url });
  }, 120_000);
  afterAll(async () => {
    await admin?.end();
    await lite?.close();
    await postgres?.stop();
  });
  const ready = async <S extends SqlStore>(s: S): Promise<S> => (await s.ready(), s);
  return [
    {
      name: 'embedded (PGlite)',
      store: () => ready(new PgliteStore({ db: lite!, table: fresh('keys') })),
      sql: () => lite!,
      table: fresh,
    },
    {
      name: 'Postgres 15 (pg)',
      store: () => ready(new PgStore({ connectionString: postgres!.url, table: fresh('keys') })),
      sql: () => admin!,
      table: fresh,
    },
  ];
}

/** The URL of the file's Postgres, for tests that start their own processes. */
export function postgresUrlOf(db: Database): string | undefined {
  return db.name.startsWith('Postgres') ? ((db.sql() as pg.Pool).options.connectionString ?? undefined) : undefined;
}
