/** The embedded PostgreSQL adapter (PGlite, a WASM build of PostgreSQL) keeping its files in a data directory. */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { StorageError } from '../lib/errors.js';
import type { SqlDriver, SqlSession } from './driver.js';

export const LOCK_FILE = 'tenantscope.lock';

function sessionOf(db: PGlite | Transaction): SqlSession {
  return {
    query: async <R>(text: string, params?: readonly unknown[]) => (await db.query<R>(text, params as unknown[] | undefined)).rows,
    exec: async (text: string) => {
      await db.exec(text);
    },
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else
    return (err as { code?: string }).code === 'EPERM';
  }
}

/**
 * PGlite does not lock its data directory, and two instances writing one directory corrupt it
 * (a second `npm start`, a CLI `report` next to `run`). A pid file taken with O_EXCL stands in for
 * PostgreSQL's postmaster.pid; a lock left by a dead process is taken over.
 */
async function lock(dataDir: string): Promise<string> {
  const file = join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(file, `${process.pid}\n`, { flag: 'wx' });
      return file;
    } catch (err) {
      if ((err as { code?: string }).code !== 'EEXIST') throw err;
    }
    const pid = Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10);
    if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
      throw new StorageError(
        `storage ${dataDir}: the embedded database is in use by process ${pid}${pid === process.pid ? ' (this one)' : ''} — stop it or set another storage.dataDir; if no tenantscope runs, delete ${file}`,
      );
    }
    await rm(file, { force: true });
  }
  throw new StorageError(`storage ${dataDir}: could not take ${file} — another process keeps creating it; stop the other tenantscope`);
}

/**
 * Opens (creating if missing) the embedded database. Startup costs seconds (the WASM module is ~10 MB
 * and initdb runs on first use), so open it once per process.
 */
export async function createPgliteDriver(dataDir: string): Promise<SqlDriver> {
  await mkdir(dataDir, { recursive: true });
  const lockFile = await lock(dataDir);
  let db: PGlite;
  try {
    db = await PGlite.create(dataDir);
  } catch (err) {
    await rm(lockFile, { force: true });
    throw err;
  }
  const base = sessionOf(db);
  return {
    kind: 'pglite',
    where: dataDir,
    ...base,
    // PGlite serialises transactions and plain queries behind one mutex, so a transaction is isolated
    // from concurrent callers of this same instance.
    transaction: <T>(fn: (tx: SqlSession) => Promise<T>) => db.transaction((tx) => fn(sessionOf(tx))),
    // A single connection: the session is the database itself.
    session: <T>(fn: (s: SqlSession) => Promise<T>) => fn(base),
    async close() {
      try {
        await db.close();
      } finally {
        await rm(lockFile, { force: true });
      }
    },
  };
}
