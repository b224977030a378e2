/**
 * Schema migrations: `store/migrations/NNN_name.sql`, applied in version order, each in its own
 * transaction together with its row in `tenantscope_schema_migrations`, so a failed migration leaves
 * nothing half-applied and a restart resumes where it stopped. Several tenantscope processes may
 * start against one PostgreSQL at once: a session-level advisory lock lets one migrate while the
 * others wait, then find nothing left to do.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { StorageError, describeError } from '../lib/errors.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/log.js';
import type { SqlDriver } from './driver.js';

export interface Migration {
  version: number;
  name: string;
  /** file name, for messages */
  file: string;
  sql: string;
  /** sha256 of the file, recorded to notice a migration edited after it was applied */
  checksum: string;
}

export const MIGRATIONS_TABLE = 'tenantscope_schema_migrations';
// pg_advisory_lock(int4, int4) key: "tens" as int4 and migrations = 1. Any fixed pair works as long as
// every tenantscope version uses the same one.
const LOCK_KEY = [0x74656e73, 1] as const;
const FILE = /^(\d{3})_([a-z0-9_]+)\.sql$/;

/**
 * Where the .sql files are: beside this module when run from source (tsx, vitest). `tsc` does not copy
 * them into dist/, so compiled code falls back to the package's own store/migrations.
 */
export function defaultMigrationsDir(): string {
  const candidates = [new URL('./migrations/', import.meta.url), new URL('../../store/migrations/', import.meta.url)];
  for (const c of candidates) {
    const p = fileURLToPath(c);
    if (existsSync(p)) return p;
  }
  return fileURLToPath(candidates[0]!);
}

export function loadMigrations(dir: string = defaultMigrationsDir()): Migration[] {
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch (err) {
    throw new StorageError(`storage migrations: cannot read ${dir}: ${describeError(err)} — the tenantscope installation is incomplete; reinstall it`, { cause: err });
  }
  const out: Migration[] = [];
  for (const file of files.filter((f) => f.endsWith('.sql')).sort()) {
    const m = FILE.exec(file);
    if (!m) throw new StorageError(`storage migrations: file "${file}" in ${dir} is not named NNN_name.sql — rename it (three digits, underscore, lowercase name)`);
    const version = Number(m[1]);
    const dup = out.find((x) => x.version === version);
    if (dup) throw new StorageError(`storage migrations: "${file}" and "${dup.file}" share version ${version} — give each migration its own number`);
    const sql = readFileSync(`${dir}/${file}`, 'utf8');
    out.push({ version, name: m[2]!, file, sql, checksum: createHash('sha256').update(sql).digest('hex') });
  }
  if (out.length === 0) throw new StorageError(`storage migrations: no NNN_name.sql files in ${dir} — the tenantscope installation is incomplete; reinstall it`);
  return out;
}

interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
}

/** Applies the pending migrations; returns the files applied now (empty when the schema is current). */
export async function migrate(driver: SqlDriver, migrations: readonly Migration[], deps: { clock: Clock; logger: Logger }): Promise<string[]> {
  const applied: string[] = [];
  await driver.session(async (s) => {
    await s.query('SELECT pg_advisory_lock($1, $2)', [...LOCK_KEY]);
    try {
      // Under the lock: two starters racing on CREATE TABLE IF NOT EXISTS can otherwise both try to
      // create it and one fails on a unique violation in pg_type.
      await s.exec(`CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
        version integer PRIMARY KEY,
        name text NOT NULL,
        checksum text NOT NULL,
        applied_at timestamptz NOT NULL
      )`);
      const rows = await s.query<AppliedRow>(`SELECT version, name, checksum FROM ${MIGRATIONS_TABLE} ORDER BY version`);
      const known = new Map(migrations.map((m) => [m.version, m]));
      const newest = migrations.at(-1)?.version ?? 0;
      for (const row of rows) {
        const m = known.get(row.version);
        if (!m) {
          if (row.version > newest) {
            throw new StorageError(
              `storage ${driver.where}: schema is at migration ${row.version} (${row.name}), newer than this tenantscope knows (${newest}) — upgrade tenantscope, or point storage.url / storage.dataDir at another database`,
            );
          }
          throw new StorageError(`storage ${driver.where}: applied migration ${row.version} (${row.name}) has no file in this tenantscope — reinstall tenantscope`);
        }
        if (m.checksum !== row.checksum) {
          deps.logger.warn('storage migration changed after it was applied; the database keeps the old version', { storage: driver.where, migration: m.file });
        }
      }
      const done = new Set(rows.map((r) => r.version));
      for (const m of migrations) {
        if (done.has(m.version)) continue;
        try {
          await driver.transaction(async (tx) => {
            await tx.exec(m.sql);
            await tx.query(`INSERT INTO ${MIGRATIONS_TABLE} (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)`, [
              m.version,
              m.name,
              m.checksum,
              new Date(deps.clock.now()).toISOString(),
            ]);
          });
        } catch (err) {
          throw new StorageError(`storage ${driver.where}: migration ${m.file} failed: ${describeError(err)} — nothing of it was applied; fix the cause and restart`, { cause: err });
        }
        deps.logger.info('storage migration applied', { storage: driver.where, migration: m.file });
        applied.push(m.file);
      }
    } finally {
      // A failed unlock must not hide the error that got us here; the lock dies with the connection anyway.
      await s.query('SELECT pg_advisory_unlock($1, $2)', [...LOCK_KEY]).catch(() => undefined);
    }
  });
  return applied;
}
