/**
 * The storage contract on real PostgreSQL (the shared test server), in a database created for this
 * run and dropped after it; plus what only a server can show: concurrent starters.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ManualClock } from '../../lib/clock.js';
import { createMemoryLogger } from '../../lib/log.js';
import { defineStorageSuite } from '../../store/storage.contract.js';
import { createPostgresDriver } from '../../store/postgres-driver.js';
import { MIGRATIONS_TABLE } from '../../store/migrate.js';
import { createStorage } from '../../store/index.js';

const adminUrl = inject('pgUrl');

function dbUrl(name: string): string {
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const suiteDb = `tenantscope_store_${randomBytes(4).toString('hex')}`;
const racedDb = `${suiteDb}_race`;

beforeAll(async () => {
  await admin(async (c) => {
    await c.query(`CREATE DATABASE ${suiteDb}`);
    await c.query(`CREATE DATABASE ${racedDb}`);
  });
});
afterAll(async () => {
  // FORCE: a pool that failed to end must not keep the database alive
  await admin(async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${suiteDb} WITH (FORCE)`);
    await c.query(`DROP DATABASE IF EXISTS ${racedDb} WITH (FORCE)`);
  });
});

defineStorageSuite('postgres', { openDriver: async () => createPostgresDriver({ url: dbUrl(suiteDb) }, createMemoryLogger()) });

describe('storage on postgres: concurrent starters', () => {
  it('several processes starting at once migrate exactly once (advisory lock) and all work', async () => {
    const clock = new ManualClock(Date.parse('2026-03-02T12:00:00.000Z'));
    const logger = createMemoryLogger();
    const stores = await Promise.all([1, 2, 3, 4].map(() => createStorage({ url: dbUrl(racedDb), dataDir: '/unused' }, { clock, logger })));
    try {
      expect(logger.lines.filter((l) => l.includes('storage migration applied'))).toHaveLength(1);
      const c = new pg.Client({ connectionString: dbUrl(racedDb) });
      await c.connect();
      const rows = await c.query<{ version: number }>(`SELECT version FROM ${MIGRATIONS_TABLE}`).finally(() => c.end());
      expect(rows.rows).toEqual([{ version: 1 }]);
      // each starter writes, every one reads all: one schema, shared
      await Promise.all(stores.map((s, i) => s.recordBand({ tenant: `starter-${i}`, band: 'low', at: '2026-03-02T12:00:00Z' })));
      for (const s of stores) expect((await s.currentBands()).map((b) => b.tenant)).toEqual(['starter-0', 'starter-1', 'starter-2', 'starter-3']);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('a database that does not exist names it and says to create it', async () => {
    const err = await createStorage({ url: dbUrl(`${suiteDb}_missing`), dataDir: '/unused' }, { clock: new ManualClock(0), logger: createMemoryLogger() }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toContain(`${suiteDb}_missing`);
    expect(err?.message).toMatch(/create the database/);
  });
});
