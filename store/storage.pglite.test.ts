/** The storage contract on embedded PGlite, in a temp data directory opened once for the suite. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../lib/clock.js';
import { StorageError } from '../lib/errors.js';
import { createMemoryLogger } from '../lib/log.js';
import { defineStorageSuite } from './storage.contract.js';
import { createPgliteDriver, LOCK_FILE } from './pglite-driver.js';
import { createStorage } from './storage.js';

const root = mkdtempSync(join(tmpdir(), 'tenantscope-store-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// a directory that does not exist yet: createStorage must create it
const dataDir = join(root, 'nested', 'data');
defineStorageSuite('pglite', { openDriver: () => createPgliteDriver(dataDir) });

describe('storage on pglite: data directory', () => {
  it('a data directory that cannot be created fails with a StorageError naming it and the remedy', async () => {
    const file = join(root, 'not-a-dir');
    writeFileSync(file, 'x');
    const dir = join(file, 'data');
    const err = await createStorage({ dataDir: dir }, { clock: new ManualClock(0), logger: createMemoryLogger() }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StorageError);
    expect((err as StorageError).message).toContain(dir);
    expect((err as StorageError).message).toMatch(/ENOTDIR|EEXIST/);
    expect((err as StorageError).message).toMatch(/storage\.dataDir is a writable directory/);
  });
});

describe('storage on pglite: one process per data directory', () => {
  const deps = { clock: new ManualClock(0), logger: createMemoryLogger() };

  it('takes over a lock left by a dead process, refuses a second opener, and releases the lock on close', async () => {
    // runs after the contract suite has closed its storage on dataDir
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    writeFileSync(join(dataDir, LOCK_FILE), `${dead}\n`);
    const storage = await createStorage({ dataDir }, deps);
    try {
      expect(readFileSync(join(dataDir, LOCK_FILE), 'utf8').trim()).toBe(String(process.pid));
      const err = await createStorage({ dataDir }, deps).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(StorageError);
      expect((err as StorageError).message).toContain(`in use by process ${process.pid} (this one)`);
      expect((err as StorageError).message).toContain(dataDir);
      // the refused opener did not disturb the open one
      expect(await storage.getFinding('keep-f')).not.toBeNull();
    } finally {
      await storage.close();
    }
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
  }, 120_000);
});
