import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StorageError } from '../lib/errors.js';
import { loadMigrations } from './migrate.js';

const dirs: string[] = [];
function dirWith(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), 'tenantscope-migrations-'));
  dirs.push(d);
  for (const [name, sql] of Object.entries(files)) writeFileSync(join(d, name), sql);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('loadMigrations', () => {
  it('loads the shipped migrations in version order with checksums', () => {
    const ms = loadMigrations();
    expect(ms[0]).toMatchObject({ version: 1, name: 'initial', file: '001_initial.sql' });
    expect(ms.map((m) => m.version)).toEqual([...ms.map((m) => m.version)].sort((a, b) => a - b));
    expect(ms[0]!.checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  it('orders by version, not by the order files were written', () => {
    const d = dirWith({ '010_later.sql': 'SELECT 10;', '002_second.sql': 'SELECT 2;', '001_first.sql': 'SELECT 1;', 'README.md': 'not a migration' });
    expect(loadMigrations(d).map((m) => m.file)).toEqual(['001_first.sql', '002_second.sql', '010_later.sql']);
  });

  it.each([
    [{ '1_short.sql': '' }, /"1_short\.sql" .* is not named NNN_name\.sql/],
    [{ '001_a.sql': '', '001_b.sql': '' }, /share version 1/],
    [{ 'README.md': '' }, /no NNN_name\.sql files/],
  ])('refuses a bad migrations folder %#', (files, message) => {
    const d = dirWith(files);
    expect(() => loadMigrations(d)).toThrow(StorageError);
    expect(() => loadMigrations(d)).toThrow(message);
  });

  it('names an unreadable folder', () => {
    expect(() => loadMigrations('/nonexistent/tenantscope/migrations')).toThrow(/cannot read \/nonexistent\/tenantscope\/migrations/);
  });
});
