/**
 * The one seam between the storage logic and a database: PostgreSQL through a `pg` Pool, or embedded
 * PGlite. Everything above it (migrations, queries) is written once in plain PostgreSQL SQL.
 *
 * Value mapping is the same on both drivers as long as callers keep to this subset: timestamptz comes
 * back as a Date, jsonb as parsed JSON, float8 as number, boolean as boolean, text as string. bigint
 * and count(*) differ (pg gives strings, PGlite numbers), so queries cast them (`::int`, `::text`).
 * JSON goes in as text and is cast in SQL (`$1::text::jsonb`): pg would turn a JS array into a
 * PostgreSQL array literal, not JSON.
 */
export interface SqlSession {
  /** One statement with `$n` parameters; returns the rows. */
  query<R>(text: string, params?: readonly unknown[]): Promise<R[]>;
  /** Several statements, no parameters (migrations). */
  exec(text: string): Promise<void>;
}

export interface SqlDriver extends SqlSession {
  readonly kind: 'postgres' | 'pglite';
  /** where the data lives, safe for messages: the redacted URL or the data directory */
  readonly where: string;
  /** Runs fn in BEGIN … COMMIT on one connection; ROLLBACK when it throws. */
  transaction<T>(fn: (tx: SqlSession) => Promise<T>): Promise<T>;
  /**
   * Runs fn on one connection held for its whole duration (session-level advisory locks live on
   * a connection). Transactions started with `transaction()` meanwhile may use another connection.
   */
  session<T>(fn: (s: SqlSession) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
