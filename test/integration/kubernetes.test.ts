/**
 * The Kubernetes collector against the API stand-in, through its real client and a kubeconfig file.
 * Waits are on conditions (vi.waitFor), never on fixed sleeps.
 */
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Registry } from 'prom-client';
import { parseConfig } from '../../config/index.js';
import { ManualClock } from '../../lib/clock.js';
import { createMemoryLogger } from '../../lib/log.js';
import { createTenantResolver, type TenantResolver } from '../../tenancy/index.js';
import { createKubernetesCollector, type KubernetesCollector } from '../../collector/kubernetes/index.js';
import { startKubeApiServer, type KubeApiServer } from '../standins/kube-apiserver.js';
import { samples, sampleValue } from '../support/registry.js';

const BACKUP_LABEL = 'tenantscope.io/backup';
const POOL_LABEL = 'eks.amazonaws.com/nodegroup';

interface Harness {
  api: KubeApiServer;
  registry: Registry;
  resolver: TenantResolver;
  logger: ReturnType<typeof createMemoryLogger>;
  collector: KubernetesCollector;
  dir: string;
}

let h: Harness;

async function setup(opts: { seed?: (api: KubeApiServer) => void; fixtures?: boolean } = {}): Promise<Harness> {
  const api = await startKubeApiServer({ fixtures: opts.fixtures ?? false, token: 's3cret' });
  opts.seed?.(api);
  const dir = mkdtempSync(join(tmpdir(), 'tenantscope-kube-'));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, api.kubeconfig());
  const config = parseConfig({
    tenancy: { rules: { namespace: [{ label: 'tenantscope.io/tenant' }, { name: '^tenant-(?<tenant>[a-z0-9]+)$' }] } },
    sources: { kubernetes: { kubeconfig, backupLabel: BACKUP_LABEL, metricsIntervalMs: 3_600_000 } },
  });
  const registry = new Registry();
  const resolver = createTenantResolver(config.tenancy);
  const logger = createMemoryLogger();
  const collector = createKubernetesCollector(config.sources.kubernetes!, { registry, resolver, clock: new ManualClock(Date.UTC(2026, 10, 22)), logger }, { backoffBaseMs: 20, backoffMaxMs: 200, pageSize: 4 });
  return { api, registry, resolver, logger, collector, dir };
}

const value = (name: string, labels: Record<string, string>) => sampleValue(h.registry, name, labels);
const rows = async (name: string) => (await samples(h.registry, name)).map((v) => ({ labels: v.labels as Record<string, string>, value: v.value }));

/** Two tenants sharing node pool-a-1, acme alone on pool-b-1, platform pods unattributed. */
function seedTenants(api: KubeApiServer): void {
  api.addNode('pool-a-1', { pool: 'pool-a', taints: [{ key: 'dedicated', value: 'odoo', effect: 'NoSchedule' }] });
  api.addNode('pool-b-1', { pool: 'pool-b', cpu: '3920m', memory: '15Gi' });
  api.addNamespace('tenant-acme');
  api.addNamespace('odoo-globex', { 'tenantscope.io/tenant': 'globex' });
  api.addNamespace('kube-system');
  api.addPod('tenant-acme', 'odoo-7d9f8-abcde', { node: 'pool-a-1', owner: { kind: 'ReplicaSet', name: 'odoo-7d9f8' } });
  api.addPod('tenant-acme', 'odoo-7d9f8-fghij', { node: 'pool-b-1', owner: { kind: 'ReplicaSet', name: 'odoo-7d9f8' } });
  api.addPod('tenant-acme', 'odoo-cron-0', {
    node: 'pool-a-1',
    owner: { kind: 'StatefulSet', name: 'odoo-cron' },
    containers: [{ name: 'cron', requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '250m', memory: '512Mi' } }],
  });
  api.addPod('odoo-globex', 'odoo-5c6b7-zzzzz', { node: 'pool-a-1', owner: { kind: 'ReplicaSet', name: 'odoo-5c6b7' } });
  api.addPod('odoo-globex', 'odoo-5c6b7-pending', { phase: 'Pending', owner: { kind: 'ReplicaSet', name: 'odoo-5c6b7' } });
  api.addPod('kube-system', 'coredns-abc12', { node: 'pool-a-1', owner: { kind: 'ReplicaSet', name: 'coredns' } });
  api.addResourceQuota('tenant-acme', 'compute', { 'requests.cpu': '4', 'requests.memory': '8Gi', pods: '20' }, { 'requests.cpu': '1250m', 'requests.memory': '2560Mi', pods: '3' });
  api.setPodMetrics('tenant-acme', 'odoo-7d9f8-abcde', [{ name: 'odoo', cpu: '250000000n', memory: '800Mi' }]);
  api.setPodMetrics('odoo-globex', 'odoo-5c6b7-zzzzz', [{ name: 'odoo', cpu: '1500m', memory: '1Gi' }]);
  api.setNodeMetrics('pool-a-1', { cpu: '2', memory: '6Gi' });
}

afterEach(async () => {
  await h?.collector.stop();
  await h?.api.stop();
  if (h) rmSync(h.dir, { recursive: true, force: true });
});

describe('kubernetes collector against the API stand-in', () => {
  describe('with tenants on shared nodes', () => {
    beforeEach(async () => {
      h = await setup({ seed: seedTenants });
      await h.collector.start();
      await h.collector.whenSynced(10_000);
      await h.collector.collect();
    });

    it('exports co-location per tenant, node and node pool', async () => {
      expect(await value('tenantscope_k8s_tenant_pods', { tenant: 'acme', namespace: 'tenant-acme', node: 'pool-a-1', node_pool: 'pool-a' })).toBe(2);
      expect(await value('tenantscope_k8s_tenant_pods', { tenant: 'acme', namespace: 'tenant-acme', node: 'pool-b-1', node_pool: 'pool-b' })).toBe(1);
      expect(await value('tenantscope_k8s_tenant_pods', { tenant: 'globex', namespace: 'odoo-globex', node: 'pool-a-1', node_pool: 'pool-a' })).toBe(1);
      expect(await value('tenantscope_k8s_tenant_pods', { tenant: '_unattributed', namespace: 'kube-system', node: 'pool-a-1' })).toBe(1);
      // three tenants (acme, globex, platform) share pool-a-1; acme is alone on pool-b-1
      expect(await value('tenantscope_k8s_node_tenants', { node: 'pool-a-1', node_pool: 'pool-a' })).toBe(3);
      expect(await value('tenantscope_k8s_node_tenants', { node: 'pool-b-1', node_pool: 'pool-b' })).toBe(1);
      expect(await value('tenantscope_k8s_node_allocatable_cpu_cores', { node: 'pool-b-1', node_pool: 'pool-b' })).toBeCloseTo(3.92);
      expect(await value('tenantscope_k8s_node_taint', { node: 'pool-a-1', key: 'dedicated', value: 'odoo', effect: 'NoSchedule' })).toBe(1);
    });

    it('attributes requests, limits, QoS, phases, workloads, quota and usage to the right tenant only', async () => {
      // acme on pool-a-1: one 500m/1Gi Burstable pod + one 250m/512Mi Guaranteed pod
      expect(await value('tenantscope_k8s_tenant_cpu_request_cores', { tenant: 'acme', node: 'pool-a-1' })).toBeCloseTo(0.75);
      // limits per tenant: two odoo pods at 2Gi and the cron pod at 512Mi
      expect(await value('tenantscope_k8s_tenant_memory_limit_bytes', { tenant: 'acme', namespace: 'tenant-acme' })).toBe(2 * 2 * 2 ** 30 + 512 * 2 ** 20);
      expect(await value('tenantscope_k8s_tenant_cpu_request_cores', { tenant: 'globex', node: 'pool-a-1' })).toBeCloseTo(0.5);
      expect(await value('tenantscope_k8s_tenant_pods_by_qos_class', { tenant: 'acme', qos_class: 'Guaranteed' })).toBe(1);
      expect(await value('tenantscope_k8s_tenant_pods_by_phase', { tenant: 'globex', phase: 'Pending' })).toBe(1);
      expect(await value('tenantscope_k8s_workload_pods', { tenant: 'acme', workload_kind: 'Deployment', workload: 'odoo' })).toBe(2);
      expect(await value('tenantscope_k8s_workload_pods', { tenant: 'acme', workload_kind: 'StatefulSet', workload: 'odoo-cron' })).toBe(1);
      expect(await value('tenantscope_k8s_tenant_resourcequota', { tenant: 'acme', resource: 'requests.cpu', type: 'used' })).toBeCloseTo(1.25);
      expect(await value('tenantscope_k8s_tenant_resourcequota', { tenant: 'acme', resource: 'pods', type: 'hard' })).toBe(20);
      expect(await value('tenantscope_k8s_tenant_cpu_usage_cores', { tenant: 'acme', node: 'pool-a-1' })).toBeCloseTo(0.25);
      expect(await value('tenantscope_k8s_tenant_cpu_usage_cores', { tenant: 'globex', node: 'pool-a-1' })).toBeCloseTo(1.5);
      expect(await value('tenantscope_k8s_node_cpu_usage_cores', { node: 'pool-a-1' })).toBe(2);
      // isolation: no series of globex carries an acme namespace and vice versa
      for (const name of ['tenantscope_k8s_tenant_pods', 'tenantscope_k8s_tenant_cpu_request_cores', 'tenantscope_k8s_tenant_cpu_usage_cores', 'tenantscope_k8s_tenant_pods_by_phase']) {
        for (const r of await rows(name)) {
          if (r.labels.tenant === 'acme') expect(r.labels.namespace).toBe('tenant-acme');
          if (r.labels.tenant === 'globex') expect(r.labels.namespace).toBe('odoo-globex');
        }
      }
      expect(await value('tenantscope_k8s_up', {})).toBe(1);
    });

    it('counts restarts and OOM kills per tenant, never for the neighbour', async () => {
      h.api.oomKill('tenant-acme', 'odoo-7d9f8-abcde', 'odoo');
      h.api.oomKill('tenant-acme', 'odoo-7d9f8-abcde', 'odoo');
      h.api.oomKill('odoo-globex', 'odoo-5c6b7-zzzzz', 'odoo', 'Error');
      await vi.waitFor(async () => {
        await h.collector.collect();
        expect(await value('tenantscope_k8s_container_restarts_total', { tenant: 'acme', reason: 'OOMKilled' })).toBe(2);
        expect(await value('tenantscope_k8s_container_restarts_total', { tenant: 'globex', reason: 'Error' })).toBe(1);
      });
      expect(await value('tenantscope_k8s_container_restarts_total', { tenant: 'globex', reason: 'OOMKilled' })).toBeUndefined();
      expect(await value('tenantscope_k8s_tenant_oomkilled_containers', { tenant: 'acme', namespace: 'tenant-acme' })).toBe(1);
      expect(await value('tenantscope_k8s_tenant_oomkilled_containers', { tenant: 'globex' })).toBeUndefined();
      // the counter goes on counting from where it was
      h.api.oomKill('tenant-acme', 'odoo-7d9f8-abcde', 'odoo');
      await vi.waitFor(async () => {
        await h.collector.collect();
        expect(await value('tenantscope_k8s_container_restarts_total', { tenant: 'acme', reason: 'OOMKilled' })).toBe(3);
      });
    });

    it('removes the series of a tenant whose namespace went away', async () => {
      for (const p of h.api.list('pods').filter((x) => x.metadata.namespace === 'odoo-globex')) h.api.remove('pods', p.metadata.name, 'odoo-globex');
      h.api.remove('namespaces', 'odoo-globex');
      await vi.waitFor(async () => {
        await h.collector.collect();
        expect((await rows('tenantscope_k8s_tenant_pods')).some((r) => r.labels.tenant === 'globex')).toBe(false);
      });
      expect((await rows('tenantscope_k8s_tenant_pods_by_phase')).some((r) => r.labels.tenant === 'globex')).toBe(false);
      expect(await value('tenantscope_k8s_tenant_pods', { tenant: 'acme', node: 'pool-a-1' })).toBe(2);
    });

    it('teaches the resolver the watched namespaces (Traefik kubernetes names resolve by label)', async () => {
      expect(h.resolver.traefik({ service: 'odoo-globex-odoo-8069@kubernetes' })).toBe('globex');
      h.api.addNamespace('erp-initech', { 'tenantscope.io/tenant': 'initech' });
      await vi.waitFor(() => expect(h.resolver.traefik({ service: 'erp-initech-web-8069@kubernetes' })).toBe('initech'));
    });
  });

  /**
   * a collector started over tenant-acme's `pod`, OOM-killed `kills` times before, after its first
   * (baseline) collection; `seeded` changes the API server's objects before the collector starts
   */
  const startAfterKills = async (pod: string, kills: number, seeded?: (api: KubeApiServer) => void) => {
    h = await setup({
      seed: (api) => {
        api.addNamespace('tenant-acme');
        api.addPod('tenant-acme', pod, { node: 'n1' });
        for (let i = 0; i < kills; i++) api.oomKill('tenant-acme', pod, 'odoo');
        seeded?.(api);
      },
    });
    await h.collector.start();
    await h.collector.whenSynced(10_000);
    await h.collector.collect();
  };
  const oomRestarts = () => value('tenantscope_k8s_container_restarts_total', { tenant: 'acme', reason: 'OOMKilled' });

  it('does not replay restarts from before the collector started; a pod created later counts them all', async () => {
    await startAfterKills('odoo-old-00000', 3);
    // the series exists (rate() has a start) but the three old kills are not counted again
    expect(await oomRestarts()).toBe(0);
    expect(await value('tenantscope_k8s_tenant_oomkilled_containers', { tenant: 'acme' })).toBe(1);
    h.api.addPod('tenant-acme', 'odoo-new-00000', { node: 'n1' });
    h.api.oomKill('tenant-acme', 'odoo-new-00000', 'odoo');
    h.api.oomKill('tenant-acme', 'odoo-old-00000', 'odoo');
    await vi.waitFor(async () => {
      await h.collector.collect();
      expect(await oomRestarts()).toBe(2);
    });
  });

  it('keeps restart counts by container name when init-container statuses appear later (no spurious increments)', async () => {
    await startAfterKills('odoo-init-00000', 4);
    expect(await oomRestarts()).toBe(0);
    // an init container's status is listed first from now on: 'odoo' moves to the second place
    h.api.modify('pods', 'odoo-init-00000', 'tenant-acme', (o) => {
      o.status.initContainerStatuses = [{ name: 'migrate', restartCount: 0, ready: true, state: { terminated: { reason: 'Completed', exitCode: 0 } } }];
    });
    h.api.oomKill('tenant-acme', 'odoo-init-00000', 'odoo');
    await vi.waitFor(async () => {
      await h.collector.collect();
      // one new kill of 'odoo'; the new 'migrate' status (0 restarts) adds nothing
      expect(await oomRestarts()).toBe(1);
    });
    await h.collector.collect();
    expect(await oomRestarts()).toBe(1);
  });

  /** takes the pod's container statuses away, as the kubelet reports a pod being re-admitted; returns what puts them back */
  const hideStatuses = (api: KubeApiServer, pod: string): (() => void) => {
    let saved: unknown;
    api.modify('pods', pod, 'tenant-acme', (o) => {
      saved = o.status.containerStatuses;
      delete o.status.containerStatuses;
    });
    return () =>
      api.modify('pods', pod, 'tenant-acme', (o) => {
        o.status.containerStatuses = saved;
      });
  };
  /** collects until the collector has seen `n` OOM-killed containers of acme (undefined: none) */
  const collectUntilOomKilled = (n: number | undefined) =>
    vi.waitFor(async () => {
      await h.collector.collect();
      expect(await value('tenantscope_k8s_tenant_oomkilled_containers', { tenant: 'acme' })).toBe(n);
    });
  /** one more OOM kill of the pod's odoo container, counted as exactly one restart from `before` */
  const killCountedOnce = async (pod: string, before: number) => {
    h.api.oomKill('tenant-acme', pod, 'odoo');
    await vi.waitFor(async () => {
      await h.collector.collect();
      expect(await oomRestarts()).toBe(before + 1);
    });
  };

  it('keeps restart counts and series of a pod that lists no container status for a while (old kills not counted again, a new one once)', async () => {
    await startAfterKills('odoo-gap-00000', 2);
    await killCountedOnce('odoo-gap-00000', 0);
    const restore = hideStatuses(h.api, 'odoo-gap-00000');
    await collectUntilOomKilled(undefined);
    // the series stays through the gap: swept, it would come back from 0 with the next kill, and
    // increase() would read that kill as the series' start, not as an increment
    expect(await oomRestarts()).toBe(1);
    restore();
    await collectUntilOomKilled(1);
    // the same three restarts as before the gap: nothing new (counted again, it would read 4)
    expect(await oomRestarts()).toBe(1);
    // a kill across another gap counts once, on the same series
    const restoreAgain = hideStatuses(h.api, 'odoo-gap-00000');
    await collectUntilOomKilled(undefined);
    restoreAgain();
    await killCountedOnce('odoo-gap-00000', 1);
  });

  it('a pod without statuses in the baseline view does not replay its old restarts when they appear', async () => {
    let restore = () => {};
    await startAfterKills('odoo-late-00000', 3, (api) => (restore = hideStatuses(api, 'odoo-late-00000')));
    restore();
    await collectUntilOomKilled(1);
    // three kills from before the collector started: the baseline, not increments
    expect(await oomRestarts()).toBe(0);
    await killCountedOnce('odoo-late-00000', 0);
  });

  it('reports backup freshness and failed runs per tenant', async () => {
    const t0 = new Date('2026-11-21T02:00:00Z');
    h = await setup({
      seed: (api) => {
        api.addNamespace('tenant-acme');
        api.addNamespace('tenant-globex');
        api.addNamespace('kube-system');
        api.addBackupCronJob('tenant-acme', 'pg-backup', { label: BACKUP_LABEL, lastSuccessfulTime: t0 });
        api.addBackupJob('tenant-acme', 'pg-backup-29400000', { label: BACKUP_LABEL, succeeded: true, at: t0, cronJob: 'pg-backup' });
        api.addBackupCronJob('tenant-globex', 'pg-backup', { label: BACKUP_LABEL });
        api.addBackupJob('tenant-globex', 'pg-backup-29400000', { label: BACKUP_LABEL, succeeded: false, at: t0, cronJob: 'pg-backup' });
        api.addBackupJob('tenant-globex', 'pg-backup-29401440', { label: BACKUP_LABEL, succeeded: false, at: new Date('2026-11-22T02:00:00Z'), cronJob: 'pg-backup' });
        // not a backup (no label) and not a tenant (platform namespace): both ignored
        api.put('jobs', { metadata: { name: 'migrate', namespace: 'tenant-acme', labels: {} }, status: { succeeded: 1, completionTime: '2026-11-22T05:00:00Z', conditions: [{ type: 'Complete', status: 'True' }] } });
        api.addBackupJob('kube-system', 'etcd-backup-1', { label: BACKUP_LABEL, succeeded: true, at: t0 });
      },
    });
    await h.collector.start();
    await h.collector.whenSynced(10_000);
    await h.collector.collect();
    expect(await value('tenantscope_k8s_tenant_backup_last_success_timestamp_seconds', { tenant: 'acme', namespace: 'tenant-acme', backup: 'pg-backup' })).toBe(t0.getTime() / 1000);
    expect(await value('tenantscope_k8s_tenant_backup_failed_runs', { tenant: 'acme', backup: 'pg-backup' })).toBe(0);
    expect(await value('tenantscope_k8s_tenant_backup_last_success_timestamp_seconds', { tenant: 'globex', backup: 'pg-backup' })).toBe(0);
    expect(await value('tenantscope_k8s_tenant_backup_failed_runs', { tenant: 'globex', backup: 'pg-backup' })).toBe(2);
    expect(await value('tenantscope_k8s_tenant_backup_last_failure_timestamp_seconds', { tenant: 'globex', backup: 'pg-backup' })).toBe(Date.parse('2026-11-22T02:00:00Z') / 1000);
    expect((await rows('tenantscope_k8s_tenant_backup_last_success_timestamp_seconds')).map((r) => r.labels.backup).sort()).toEqual(['pg-backup', 'pg-backup']);
    // the watch only asked for labelled Jobs
    expect(h.api.requests.some((r) => r.path === '/apis/batch/v1/jobs' && r.query.labelSelector === BACKUP_LABEL)).toBe(true);

    // a new successful run arrives through the watch and refreshes globex's freshness
    const t1 = new Date('2026-11-22T03:00:00Z');
    h.api.addBackupJob('tenant-globex', 'pg-backup-29401500', { label: BACKUP_LABEL, succeeded: true, at: t1, cronJob: 'pg-backup' });
    await vi.waitFor(async () => {
      await h.collector.collect();
      expect(await value('tenantscope_k8s_tenant_backup_last_success_timestamp_seconds', { tenant: 'globex', backup: 'pg-backup' })).toBe(t1.getTime() / 1000);
    });
    expect(await value('tenantscope_k8s_tenant_backup_last_success_timestamp_seconds', { tenant: 'acme', backup: 'pg-backup' })).toBe(t0.getTime() / 1000);
  });

  it('serves the recorded podlist: pods are identified by uid (two items share a name)', async () => {
    h = await setup({ fixtures: true });
    await h.collector.start();
    await h.collector.whenSynced(10_000);
    await h.collector.collect();
    const status = h.collector.status().find((s) => s.resource === 'pods')!;
    expect(status.objects).toBe(6);
    // listed page by page (pageSize 4): two requests, the second with the continue token
    const podLists = h.api.requests.filter((r) => r.path === '/api/v1/pods' && !r.query.watch);
    expect(podLists.map((r) => [r.query.limit, Boolean(r.query.continue)])).toEqual([
      ['4', false],
      ['4', true],
    ]);
    expect(await value('tenantscope_k8s_tenant_pods_by_phase', { tenant: '_unattributed', namespace: 'kube-system', phase: 'Running' })).toBe(2);
    expect(await value('tenantscope_k8s_tenant_pods_by_phase', { tenant: '_unattributed', namespace: 'kube-system', phase: 'Pending' })).toBe(1);
    // the recorded EKS nodes carry their node group as pool
    expect(await value('tenantscope_k8s_node_info', { node: 'duckboat-01', node_pool: 'custom-1' })).toBe(1);
    // recorded metrics-server usage in nanocores
    expect(await value('tenantscope_k8s_tenant_cpu_usage_cores', { tenant: '_unattributed', namespace: 'kube-system', node: '' })).toBeGreaterThan(0);
  });
});
