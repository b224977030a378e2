import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../lib/errors.js';
import { loadConfig, parseConfig, envKey } from './index.js';

const fixtures = join(import.meta.dirname, '..', 'test', 'fixtures', 'config');

async function problems(file: string): Promise<string[]> {
  try {
    await loadConfig({ path: join(fixtures, file), env: {} });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).exitCode).toBe(2);
    return (err as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error(`${file} was accepted`);
}

describe('config: bad files report every problem as path: message', () => {
  it.each([
    ['unknown-key.bad.yaml', ['servr: unknown key — did you mean "server"?', 'sources.postgres[0].optons: unknown key — did you mean "options"?']],
    [
      'wrong-types.bad.yaml',
      [
        'collector.scrapeIntervalMs: expected number, got the string "15s"',
        'tenancy.tenants[0].plan.monthlyPrice: expected number, got the string "lots"',
        'tenancy.tenants[0].plan.currency: an ISO 4217 code',
        'tenancy.tenants[0].tier: must be one of "shared", "dedicated", got the string "premium"',
      ],
    ],
    ['bad-regex.bad.yaml', ['tenancy.rules.postgres.database: regular expression "^([a-z]+)_prod$" has no named group "tenant"', 'tenancy.rules.redis.keyPrefix: invalid regular expression']],
    ['duplicate-tenant.bad.yaml', ['tenancy.tenants[2].id: duplicate tenant id "acme" (first at tenancy.tenants[0])']],
    [
      'bad-sources.bad.yaml',
      [
        'server.listen: host:port, e.g. 127.0.0.1:9464, got the string "localhost"',
        'sources.postgres[0].url: a postgres:// or postgresql:// URL, got the string "mysql://x@y/z"',
        'sources.redis[0].url: required (string) — add it',
        'sources.traefik[0]: set metricsUrl, accessLog or both',
      ],
    ],
    ['not-yaml.bad.yaml', ['(yaml line 4, column 1): Missing closing "quote — fix the YAML syntax']],
    ['reserved-tenant.bad.yaml', ['tenancy.tenants[0].id: "_unattributed" is reserved', 'tenancy.tenants[1].id: a tenant id is 1-63 characters']],
  ])('%s', async (file, expected) => {
    const got = await problems(file);
    for (const e of expected) expect(got.some((g) => g.startsWith(e)), `missing "${e}" in:\n${got.join('\n')}`).toBe(true);
    expect(got.length).toBe(expected.length);
  });

  it('an unreadable or missing file names the path and the remedy', async () => {
    expect(await problems('does-not-exist.yaml')).toEqual([expect.stringMatching(/^\(file\): cannot read .*does-not-exist\.yaml: ENOENT — check the path/)]);
    if (userInfo().uid !== 0) {
      const dir = mkdtempSync(join(tmpdir(), 'ts-cfg-'));
      const f = join(dir, 'locked.yaml');
      writeFileSync(f, 'server: {}\n');
      chmodSync(f, 0o000);
      await expect(loadConfig({ path: f, env: {} })).rejects.toThrow(/EACCES — make the file readable/);
    }
  });
});

describe('config: good files and defaults', () => {
  it('the minimal file of issue 2 loads as written, with defaults filled in', async () => {
    const { config, origin } = await loadConfig({ path: join(fixtures, 'minimal.good.yaml'), env: {} });
    expect(origin).toBe('file');
    expect(config.server.listen).toBe('127.0.0.1:9464');
    expect(config.tenancy.tenants[0]).toMatchObject({ id: 'acme', tier: 'shared', plan: { monthlyPrice: 1200, currency: 'EUR' } });
    expect(config.sources.postgres[0]!.options.statementTimeoutMs).toBe(2000);
    expect(config.sources.kubernetes?.kubeconfig).toBe('~/.kube/config');
    expect(config.collector.scrapeIntervalMs).toBe(15_000);
    expect(config.storage.url).toBeUndefined();
  });

  it('the fuller fleet file loads', async () => {
    const { config } = await loadConfig({ path: join(fixtures, 'fleet.good.yaml'), env: {} });
    expect(config.tenancy.rules.postgres).toHaveLength(2);
    expect(config.sources.prometheus?.orgId).toBe('platform');
  });

  it('no file at all gives the embedded default (simulation)', async () => {
    const { config, origin, file } = await loadConfig({ env: {}, cwd: mkdtempSync(join(tmpdir(), 'ts-empty-')) });
    expect(origin).toBe('embedded');
    expect(file).toBeUndefined();
    expect(config.simulation.enabled).toBe('auto');
    expect(config.sources.postgres).toEqual([]);
  });

  it('secrets come from the environment: TENANTSCOPE_PG_URL_<NAME>, TENANTSCOPE_REDIS_URL_<NAME>, TENANTSCOPE_STORAGE_URL', () => {
    expect(envKey('PG', 'pg-main')).toBe('TENANTSCOPE_PG_URL_PG_MAIN');
    const config = parseConfig(
      { sources: { postgres: [{ name: 'pg-main' }], redis: [{ name: 'redis.main', url: 'redis://nopass@x:6379' }] } },
      {
        env: {
          TENANTSCOPE_PG_URL_PG_MAIN: 'postgres://monitor:s3cret@db:5432/postgres',
          TENANTSCOPE_REDIS_URL_REDIS_MAIN: 'redis://:pw@cache:6379',
          TENANTSCOPE_STORAGE_URL: 'postgres://ts:pw@state/ts',
        },
      },
    );
    expect(config.sources.postgres[0]!.url).toBe('postgres://monitor:s3cret@db:5432/postgres');
    expect(config.sources.redis[0]!.url).toBe('redis://:pw@cache:6379');
    expect(config.storage.url).toBe('postgres://ts:pw@state/ts');
  });

  it('TENANTSCOPE_CONFIG names the file when --config is absent', async () => {
    const { file } = await loadConfig({ env: { TENANTSCOPE_CONFIG: join(fixtures, 'minimal.good.yaml') } });
    expect(file).toBe(join(fixtures, 'minimal.good.yaml'));
  });

  it('a rejected URL is shown without its password', () => {
    expect(() => parseConfig({ sources: { postgres: [{ name: 'pg', url: 'mysql://admin:hunter2@db/x' }] } })).toThrow(/got the string "mysql:\/\/admin:\*\*\*@db\/x"/);
    expect(() => parseConfig({ sources: { postgres: [{ name: 'pg', url: 'mysql://admin:hunter2@db/x' }] } })).not.toThrow(/hunter2/);
  });

  it('a document that is not a mapping is rejected with what it was', () => {
    expect(() => parseConfig(['a'])).toThrow(/expected a mapping of keys .*got a list/);
  });
});
