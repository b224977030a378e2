/**
 * The build ships @kubernetes/client-node as a bundle of only what the collector reaches
 * (scripts/bundle.ts). Tree shaking must not change what the collector sees: the same collector,
 * once with the package's classes and once with the bundle's, lists, watches and reads metrics.k8s.io
 * from the same API stand-in, and both write the same series.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { parseConfig } from '../../config/index.js';
import { ManualClock } from '../../lib/clock.js';
import { createMemoryLogger } from '../../lib/log.js';
import { createTenantResolver } from '../../tenancy/index.js';
import { createKubernetesCollector, type Client, type KubernetesCollector, type KubernetesCollectorOptions } from '../../collector/kubernetes/collector.js';
import { bundleKubernetesClient } from '../../scripts/bundle.js';
import { startKubeApiServer, type KubeApiServer } from '../standins/kube-apiserver.js';

const BACKUP_LABEL = 'tenantscope.io/backup';
const ROOT = join(import.meta.dirname, '..', '..');
// inside the project, so the bundle's imports of client-node's dependencies resolve from node_modules
const OUT_DIR = join(ROOT, 'node_modules', '.cache', 'tenantscope', `bundle-test-${process.pid}`);
const OUT = join(OUT_DIR, 'client.js');

let api: KubeApiServer;
let dir: string;
let bundleBytes: number;
const collectors: KubernetesCollector[] = [];

beforeAll(async () => {
  bundleBytes = await bundleKubernetesClient(OUT);
  api = await startKubeApiServer({ fixtures: true, token: 's3cret' });
  api.addNode('pool-a-1', { pool: 'pool-a' });
  for (const t of ['acme', 'globex']) {
    api.addNamespace(`tenant-${t}`);
    api.addPod(`tenant-${t}`, `odoo-7d9f8-${t}`, { node: 'pool-a-1', owner: { kind: 'ReplicaSet', name: 'odoo-7d9f8' } });
    api.setPodMetrics(`tenant-${t}`, `odoo-7d9f8-${t}`, [{ name: 'odoo', cpu: t === 'acme' ? '250m' : '1500m', memory: '800Mi' }]);
    api.addResourceQuota(`tenant-${t}`, 'compute', { 'requests.cpu': '4' }, { 'requests.cpu': '500m' });
    api.addBackupCronJob(`tenant-${t}`, 'pg-backup', { label: BACKUP_LABEL, lastSuccessfulTime: new Date(Date.UTC(2026, 10, 21, 2)) });
  }
  api.setNodeMetrics('pool-a-1', { cpu: '2', memory: '6Gi' });
  dir = mkdtempSync(join(tmpdir(), 'tenantscope-bundle-'));
  writeFileSync(join(dir, 'kubeconfig'), api.kubeconfig());
});

afterAll(async () => {
  for (const c of collectors) await c.stop();
  await api?.stop();
  rmSync(OUT_DIR, { recursive: true, force: true });
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** a started, synced collector on its own registry, with the client the options load */
async function start(opts: KubernetesCollectorOptions): Promise<{ collector: KubernetesCollector; registry: Registry }> {
  const config = parseConfig({
    tenancy: { rules: { namespace: [{ name: '^tenant-(?<tenant>[a-z0-9]+)$' }] } },
    sources: { kubernetes: { kubeconfig: join(dir, 'kubeconfig'), backupLabel: BACKUP_LABEL, metricsIntervalMs: 3_600_000 } },
  });
  const registry = new Registry();
  const deps = { registry, resolver: createTenantResolver(config.tenancy), clock: new ManualClock(Date.UTC(2026, 10, 22)), logger: createMemoryLogger() };
  const collector = createKubernetesCollector(config.sources.kubernetes!, deps, { backoffBaseMs: 20, backoffMaxMs: 200, pageSize: 4, ...opts });
  collectors.push(collector);
  await collector.start();
  await collector.whenSynced(10_000);
  return { collector, registry };
}

/** the tenantscope_k8s_* samples, sorted */
async function k8sSamples(registry: Registry): Promise<string[]> {
  return (await registry.metrics())
    .split('\n')
    .filter((l) => l.startsWith('tenantscope_k8s_'))
    .sort();
}

describe('the bundled Kubernetes client', () => {
  it('keeps only the API groups the collector calls', () => {
    const text = readFileSync(OUT, 'utf8');
    expect(text).toMatch(/\bObservableCoreV1Api = class\b/);
    expect(text).toMatch(/\bObservableBatchV1Api = class\b/);
    expect(text).not.toContain('ObservableAppsV1Api');
    expect(text).not.toContain('ObservableNetworkingV1Api');
    // client-node's own dependencies stay imports, not copies
    expect(text).toMatch(/^import .* from "js-yaml";$/m);
    expect(bundleBytes).toBe(Buffer.byteLength(text));
  });

  it('makes the collector write exactly the series the package makes it write, through lists, watches and metrics.k8s.io', async () => {
    const pkg = await start({});
    let loaded: Client | undefined;
    const bundled = await start({ loadClient: async () => (loaded = (await import(pathToFileURL(OUT).href)) as Client) });
    // the second collector really runs on the bundle's own copies of the classes
    expect(loaded?.KubeConfig).toBeTypeOf('function');
    expect(loaded?.KubeConfig).not.toBe((await import('@kubernetes/client-node')).KubeConfig);
    await pkg.collector.collect();
    await bundled.collector.collect();
    const before = await k8sSamples(pkg.registry);
    // not hollow: both tenants' co-location, usage, quota and backups are there
    for (const want of [/^tenantscope_k8s_tenant_pods\{tenant="acme"/, /^tenantscope_k8s_tenant_cpu_usage_cores\{tenant="globex".* 1\.5$/, /^tenantscope_k8s_tenant_resourcequota\{tenant="acme"/, /^tenantscope_k8s_tenant_backup_last_success_timestamp_seconds\{tenant="globex"/]) {
      expect(before.some((l) => want.test(l)), String(want)).toBe(true);
    }
    expect(await k8sSamples(bundled.registry)).toEqual(before);

    // a watch event (an OOM kill) reaches both alike
    api.oomKill('tenant-acme', 'odoo-7d9f8-acme', 'odoo');
    const oom = /^tenantscope_k8s_container_restarts_total\{tenant="acme",namespace="tenant-acme",reason="OOMKilled"\} 1$/;
    for (const c of [pkg, bundled]) {
      await expect
        .poll(async () => {
          await c.collector.collect();
          return (await k8sSamples(c.registry)).some((l) => oom.test(l));
        }, { timeout: 10_000 })
        .toBe(true);
    }
    expect(await k8sSamples(bundled.registry)).toEqual(await k8sSamples(pkg.registry));
  });
});
