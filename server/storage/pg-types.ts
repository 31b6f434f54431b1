/**
 * Types shared by the PostgreSQL files (type-only imports of `pg`: nothing loads it before a
 * PostgreSQL URL is given).
 */
import type { PoolClient, QueryConfig, QueryResult } from 'pg';

/** Something that runs a query: a pool client inside a transaction. */
export interface Queryable {
  query(config: QueryConfig): Promise<QueryResult>;
}

export type { PoolClient };

/** Advisory lock class of LSN assignment (second key: hashtext(current_schema())). */
export const LSN_LOCK_CLASS = 7301;
/** Advisory lock class of table creation at open (two nodes starting together). */
export const SETUP_LOCK_CLASS = 7300;

/** The SQL that takes the LSN lock for the current transaction. */
export const LSN_LOCK_SQL = `SELECT pg_advisory_xact_lock(${LSN_LOCK_CLASS}, hashtext(current_schema()))`;
