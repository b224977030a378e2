/** The `pg` adapter: the only file besides the PGlite one that touches a database driver. */
import pg from 'pg';
import { describeError, redactUrl } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import type { SqlDriver, SqlSession } from './driver.js';

export interface PostgresDriverOptions {
  url: string;
  /** pool size; at least 2 so migrations can hold the advisory lock on one connection and migrate on another */
  maxConnections?: number;
  connectTimeoutMs?: number;
}

function sessionOf(client: pg.PoolClient): SqlSession {
  return {
    query: async <R>(text: string, params?: readonly unknown[]) => (await client.query(text, params as unknown[] | undefined)).rows as R[],
    exec: async (text: string) => {
      await client.query(text);
    },
  };
}

export function createPostgresDriver(opts: PostgresDriverOptions, logger: Logger): SqlDriver {
  const where = redactUrl(opts.url);
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: Math.max(2, opts.maxConnections ?? 4),
    // Without a timeout a blackholed host hangs startup forever instead of failing with a message.
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000,
    application_name: 'tenantscope-store',
  });
  // An idle client losing its connection emits 'error' on the pool; unhandled, it would kill the process.
  pool.on('error', (err) => logger.warn('storage connection lost; the pool reconnects on next use', { storage: where, reason: describeError(err) }));

  return {
    kind: 'postgres',
    where,
    query: async <R>(text: string, params?: readonly unknown[]) => (await pool.query(text, params as unknown[] | undefined)).rows as R[],
    exec: async (text: string) => {
      await pool.query(text);
    },
    async transaction<T>(fn: (tx: SqlSession) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      let broken = false;
      try {
        await client.query('BEGIN');
        const out = await fn(sessionOf(client));
        await client.query('COMMIT');
        return out;
      } catch (err) {
        try {
          await client.query('ROLLBACK');
        } catch {
          // the connection itself failed; do not hand it back to the pool
          broken = true;
        }
        throw err;
      } finally {
        client.release(broken);
      }
    },
    async session<T>(fn: (s: SqlSession) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      let failed = false;
      try {
        return await fn(sessionOf(client));
      } catch (err) {
        failed = true;
        throw err;
      } finally {
        // After a failure the connection may still hold session state (an advisory lock): close it
        // rather than hand it to the next caller.
        client.release(failed);
      }
    },
    close: () => pool.end(),
  };
}
