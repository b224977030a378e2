import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/index.js';
import { createTenantResolver, normalizeApplicationName, UNATTRIBUTED_TENANT } from './index.js';

const cfg = parseConfig({
  tenancy: {
    tenants: [{ id: 'acme' }, { id: 'globex' }, { id: 'initech', tier: 'dedicated' }],
    rules: {
      namespace: { label: 'tenantscope.io/tenant', name: '^tenant-(?<tenant>[a-z0-9-]+)$' },
      postgres: [
        { databases: { legacy_erp: 'initech' } },
        { database: '^(?<tenant>[a-z0-9]+)_prod$', schema: '^t_(?<tenant>[a-z0-9]+)$', role: '^(?<tenant>[a-z0-9]+)_app$' },
        // conflicting: also matches *_prod; never reached for those because the rule above wins
        { database: '^(?<tenant>[a-z]+)_(staging|prod)$' },
      ],
      redis: { keyPrefix: '^(?<tenant>[a-z0-9]+):', clientName: '^(?<tenant>[a-z0-9]+)-', db: { '3': 'globex' } },
      traefik: [
        { service: '^tenant-(?<tenant>[a-z0-9]+)-odoo', host: '^(?<tenant>[a-z0-9]+)\\.erp\\.example\\.com$' },
        { router: '^(?<tenant>[a-z0-9]+)-router@file$' },
      ],
    },
  },
});
const r = createTenantResolver(cfg.tenancy);

describe('tenancy resolver', () => {
  it.each([
    ['label wins over name', { name: 'tenant-globex', labels: { 'tenantscope.io/tenant': 'acme' } }, 'acme'],
    ['name regex', { name: 'tenant-globex' }, 'globex'],
    ['empty label falls through to name', { name: 'tenant-acme', labels: { 'tenantscope.io/tenant': '' } }, 'acme'],
    ['no match', { name: 'kube-system' }, UNATTRIBUTED_TENANT],
  ])('namespace: %s', (_, ns, want) => {
    expect(r.namespace(ns)).toBe(want);
  });

  it.each([
    ['explicit map before regex', 'legacy_erp', 'initech'],
    ['database regex', 'acme_prod', 'acme'],
    ['first rule wins over a later conflicting one', 'globex_prod', 'globex'],
    ['later rule used when earlier ones do not match', 'umbrella_staging', 'umbrella'],
    ['no rule matches', 'postgres_9', UNATTRIBUTED_TENANT],
    ['a name that is also an Object.prototype key', 'constructor', UNATTRIBUTED_TENANT],
    ['template databases stay unattributed', '_template', UNATTRIBUTED_TENANT],
  ])('postgres database: %s', (_, db, want) => {
    expect(r.postgresDatabase(db)).toBe(want);
  });

  it('postgres schema and role rules, undefined when nothing matches', () => {
    expect(r.postgresSchema('t_acme')).toBe('acme');
    expect(r.postgresSchema('public')).toBeUndefined();
    expect(r.postgresRole('globex_app')).toBe('globex');
    expect(r.postgresRole('odoo')).toBeUndefined();
  });

  it.each([
    ['odoo-12345', 'odoo'],
    ['odoo-4021', 'odoo'],
    ['odoo_worker_7', 'odoo'],
    ['pgbench', 'pgbench'],
    ['psql', 'psql'],
    ['queue-runner-77', 'queue-runner'],
  ])("application name %s collapses to %s (Odoo's odoo-<pid>)", (name, want) => {
    expect(normalizeApplicationName(name)).toBe(want);
  });

  it.each([
    ['key prefix', 'acme:session:42', 'acme'],
    ['no prefix', 'lock', UNATTRIBUTED_TENANT],
    ['prefix must be at start', 'x:acme:1', 'x'],
  ])('redis key: %s', (_, key, want) => {
    expect(r.redisKey(key)).toBe(want);
  });

  it('redis clients: name, then db map, then unattributed', () => {
    expect(r.redisClient({ name: 'acme-worker' })).toBe('acme');
    expect(r.redisClient({ name: '', db: 3 })).toBe('globex');
    expect(r.redisClient({ db: 0 })).toBe(UNATTRIBUTED_TENANT);
    expect(r.redisDb(3)).toBe('globex');
    expect(r.redisDb(4)).toBeUndefined();
  });

  it.each([
    ['kubernetes provider service', { service: 'tenant-acme-odoo-8069@kubernetes' }, 'acme'],
    ['CRD service', { service: 'tenant-globex-odoo-longpolling@kubernetescrd' }, 'globex'],
    ['file router', { router: 'initech-router@file' }, 'initech'],
    ['chained router: the last hop decides', { router: 'root@file -> initech-router@file' }, 'initech'],
    ['unmatched 404 attributed by host', { host: 'globex.erp.example.com:443' }, 'globex'],
    ['host is case-insensitive', { host: 'ACME.erp.example.com' }, 'acme'],
    ['readiness@http matches nothing', { service: 'readiness@http' }, UNATTRIBUTED_TENANT],
    ['nothing at all', {}, UNATTRIBUTED_TENANT],
  ])('traefik: %s', (_, id, want) => {
    expect(r.traefik(id)).toBe(want);
  });

  it('traefik kubernetes names resolve through the namespace rule when no traefik rule matches', () => {
    // `<namespace>-<service>-<port>@kubernetes`, namespace tenant-umbrella (name rule) and shop-1 (label)
    expect(r.traefik({ service: 'tenant-umbrella-web-80@kubernetes' })).toBe('umbrella');
    expect(r.traefik({ service: 'shop-1-web-80@kubernetes' })).toBe(UNATTRIBUTED_TENANT);
    r.learnNamespaces([{ name: 'shop-1', labels: { 'tenantscope.io/tenant': 'acme' } }]);
    expect(r.traefik({ service: 'shop-1-web-80@kubernetes' })).toBe('acme');
  });

  it('with discover off, ids not declared go to _unattributed', () => {
    const strict = createTenantResolver(parseConfig({ tenancy: { discover: false, tenants: [{ id: 'acme' }], rules: { postgres: { database: '^(?<tenant>[a-z]+)_prod$' } } } }).tenancy);
    expect(strict.postgresDatabase('acme_prod')).toBe('acme');
    expect(strict.postgresDatabase('globex_prod')).toBe(UNATTRIBUTED_TENANT);
  });

  it('tenant accessors return declared tenants with defaults applied', () => {
    expect(r.tenant('initech')?.tier).toBe('dedicated');
    expect(r.tenant('acme')?.tier).toBe('shared');
    expect(r.tenant('nobody')).toBeUndefined();
    expect(r.tenants().map((t) => t.id)).toEqual(['acme', 'globex', 'initech']);
  });
});
