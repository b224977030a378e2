import { inject, describe, expect, it } from 'vitest';
import pg from 'pg';
import { Redis } from 'ioredis';

describe('real local stack', () => {
  it('PostgreSQL 15 runs with pg_stat_statements preloaded', async () => {
    const c = new pg.Client({ connectionString: inject('pgUrl') });
    await c.connect();
    try {
      const v = await c.query<{ server_version_num: string }>('SHOW server_version_num');
      expect(Number(v.rows[0]!.server_version_num)).toBeGreaterThanOrEqual(150000);
      const lib = await c.query<{ shared_preload_libraries: string }>('SHOW shared_preload_libraries');
      expect(lib.rows[0]!.shared_preload_libraries).toContain('pg_stat_statements');
    } finally {
      await c.end();
    }
  });

  it('Redis 7 answers', async () => {
    const r = new Redis(inject('redisUrl'), { lazyConnect: true });
    await r.connect();
    try {
      const info = await r.info('server');
      expect(info).toMatch(/redis_version:7\./);
    } finally {
      r.disconnect();
    }
  });

  it('Prometheus and Alertmanager are ready', async () => {
    expect((await fetch(`${inject('prometheusUrl')}/-/ready`)).status).toBe(200);
    const am = await fetch(`${inject('alertmanagerUrl')}/api/v2/status`);
    expect(am.status).toBe(200);
    expect(((await am.json()) as { cluster: { status: string } }).cluster.status).toBeDefined();
  });
});
