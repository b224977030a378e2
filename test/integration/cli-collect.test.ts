/**
 * `collect --once` and `/readyz` against a real PostgreSQL: one poll really happens before the
 * exposition is printed, and readiness follows the source's live state.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { main, type CliIO } from '../../cli/main.js';
import { startPostgres } from '../support/stack.js';
import { until } from '../support/until.js';

function io(untilSignal: CliIO['untilSignal'] = async () => 'SIGTERM') {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: (s: string) => out.push(s), stderr: (s: string) => err.push(s), env: {}, untilSignal } satisfies CliIO };
}

describe('collect --once and /readyz with a real source', () => {
  it('collect --once polls every source before printing; /readyz turns 503 naming the source when it goes down', { timeout: 120_000 }, async () => {
    const server = await startPostgres();
    try {
      const admin = new pg.Client({ connectionString: server.url() });
      await admin.connect();
      await admin.query('CREATE DATABASE acme_prod');
      await admin.end();
      const dir = mkdtempSync(join(tmpdir(), 'ts-collect-'));
      const cfg = join(dir, 'tenantscope.yaml');
      writeFileSync(
        cfg,
        [
          `storage: { dataDir: ${JSON.stringify(join(dir, 'data'))} }`,
          'tenancy: { rules: { postgres: { database: "^(?<tenant>[a-z]+)_prod$" } } }',
          `sources: { postgres: [ { name: pg-test, url: "${server.url()}", options: { pollIntervalMs: 500 } } ] }`,
          '',
        ].join('\n'),
      );
      const once = io();
      expect(await main(['--config', cfg, 'collect', '--once'], once.io)).toBe(0);
      const text = once.out.join('');
      expect(text).toContain('tenantscope_pg_up{pg_cluster="pg-test"} 1');
      expect(text).toMatch(/tenantscope_pg_xact_commit_total\{tenant="acme",pg_cluster="pg-test",datname="acme_prod"\}/);

      let ready: { before: number; after: number; body: string } | undefined;
      const run = io(async () => {
        const url = /serving url=(\S+)/.exec(run.err.join(''))![1]!;
        const poll = (want: number) =>
          until(`/readyz to answer ${want}`, 10_000, async () => {
            const r = await fetch(`${url}/readyz`);
            return r.status === want ? r : undefined;
          });
        const before = (await poll(200)).status;
        await server.kill();
        const down = await poll(503);
        ready = { before, after: down.status, body: await down.text() };
        return 'SIGTERM';
      });
      expect(await main(['--config', cfg, 'collect', '--listen', '127.0.0.1:0'], run.io)).toBe(0);
      expect(ready?.before).toBe(200);
      expect(ready?.after).toBe(503);
      expect(ready?.body).toContain('postgres:pg-test');
      expect(ready?.body).not.toContain('password');
    } finally {
      await server.destroy();
    }
  });
});
