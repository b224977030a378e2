/**
 * Faults of the Kubernetes API seen through the collector's real client: watch cuts, 410 Gone,
 * bookmarks, 429 Retry-After, 401/403 naming the missing grant while the rest keeps flowing, and
 * an API server that is down when the collector starts.
 */
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Registry } from 'prom-client';
import { parseConfig } from '../../config/index.js';
import { ManualClock } from '../../lib/clock.js';
import { createMemoryLogger } from '../../lib/log.js';
import { createTenantResolver } from '../../tenancy/index.js';
import { createKubernetesCollector, type KubernetesCollector } from '../../collector/kubernetes/index.js';
import { KubeApiServer, startKubeApiServer } from '../standins/kube-apiserver.js';
import { sampleValue } from '../support/registry.js';

interface Harness {
  api: KubeApiServer;
  registry: Registry;
  logger: ReturnType<typeof createMemoryLogger>;
  collector: KubernetesCollector;
  clock: ManualClock;
  dir: string;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function seed(api: KubeApiServer): void {
  api.addNode('node-1', { pool: 'pool-a' });
  api.addNamespace('tenant-acme');
  api.addNamespace('tenant-globex');
  for (let i = 0; i < 3; i++) api.addPod('tenant-acme', `odoo-aaaaa-0000${i}`, { node: 'node-1' });
  api.addPod('tenant-globex', 'odoo-bbbbb-00000', { node: 'node-1' });
  api.addResourceQuota('tenant-acme', 'compute', { pods: '10' }, { pods: '3' });
}

async function setup(opts: { api?: KubeApiServer; token?: string; kubeconfigText?: string } = {}): Promise<Harness> {
  const api = opts.api ?? (await startKubeApiServer({ token: 's3cret' }));
  const dir = mkdtempSync(join(tmpdir(), 'tenantscope-kube-'));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, opts.kubeconfigText ?? api.kubeconfig({ token: opts.token }));
  const config = parseConfig({
    tenancy: { rules: { namespace: { name: '^tenant-(?<tenant>[a-z0-9]+)$' } } },
    sources: { kubernetes: { kubeconfig, metricsIntervalMs: 3_600_000 } },
  });
  const registry = new Registry();
  const logger = createMemoryLogger();
  const clock = new ManualClock(0);
  const collector = createKubernetesCollector(
    config.sources.kubernetes!,
    { registry, resolver: createTenantResolver(config.tenancy), clock, logger },
    { backoffBaseMs: 20, backoffMaxMs: 200 },
  );
  const h = { api, registry, logger, collector, clock, dir };
  cleanups.push(async () => {
    await collector.stop();
    await api.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return h;
}

const value = (h: Harness, name: string, labels: Record<string, string>) => sampleValue(h.registry, name, labels);

const podStatus = (h: Harness) => h.collector.status().find((s) => s.resource === 'pods')!;

/** the pods the collector holds must be exactly the server's, by uid, with no duplicate */
async function expectSameAsServer(h: Harness): Promise<void> {
  await h.collector.collect();
  const server = h.api.list('pods');
  expect(podStatus(h).objects).toBe(server.length);
  const byTenant = (ns: string) => server.filter((p) => p.metadata.namespace === ns && p.status.phase === 'Running').length;
  expect(await value(h, 'tenantscope_k8s_tenant_pods', { tenant: 'acme', node: 'node-1' })).toBe(byTenant('tenant-acme') || undefined);
  expect(await value(h, 'tenantscope_k8s_tenant_pods', { tenant: 'globex', node: 'node-1' })).toBe(byTenant('tenant-globex') || undefined);
}

describe('kubernetes collector under API faults', () => {
  it('a cut watch re-lists: changes made while cut are neither lost nor duplicated', async () => {
    const api = await startKubeApiServer({ token: 's3cret' });
    seed(api);
    const h = await setup({ api });
    await h.collector.start();
    await h.collector.whenSynced(10_000);
    await vi.waitFor(() => expect(api.openWatches('pods')).toBe(1));
    const listsBefore = podStatus(h).relists;

    // cut the TCP connection, then change things and compact history so nothing can be replayed
    expect(api.disconnectWatches('pods')).toBe(1);
    api.remove('pods', 'odoo-aaaaa-00000', 'tenant-acme');
    api.addPod('tenant-globex', 'odoo-bbbbb-00001', { node: 'node-1' });
    api.modify('pods', 'odoo-aaaaa-00001', 'tenant-acme', (p) => (p.status.phase = 'Failed'));
    api.compact();

    await vi.waitFor(() => expect(podStatus(h).relists).toBeGreaterThan(listsBefore), { timeout: 10_000 });
    expect(await value(h, 'tenantscope_k8s_relists_total', { resource: 'pods', reason: 'disconnect' })).toBe(1);
    await vi.waitFor(() => expect(api.openWatches('pods')).toBe(1));
    await expectSameAsServer(h);
    expect(await value(h, 'tenantscope_k8s_tenant_pods', { tenant: 'acme', node: 'node-1' })).toBe(1);
    expect(await value(h, 'tenantscope_k8s_tenant_pods', { tenant: 'globex', node: 'node-1' })).toBe(2);

    // and the new watch delivers again
    api.addPod('tenant-acme', 'odoo-aaaaa-00009', { node: 'node-1' });
    await vi.waitFor(async () => {
      await h.collector.collect();
      expect(await value(h, 'tenantscope_k8s_tenant_pods', { tenant: 'acme', node: 'node-1' })).toBe(2);
    });
  });

  it('410 Gone on resuming a compacted version re-lists; a bookmark avoids it', async () => {
    const api = await startKubeApiServer({ token: 's3cret' });
    seed(api);
    const h = await setup({ api });
    await h.collector.start();
    await h.collector.whenSynced(10_000);
    await vi.waitFor(() => expect(api.openWatches('pods')).toBe(1));

    // other resources move the version on; the pods watch never hears of it (no bookmark yet)
    api.addNamespace('tenant-initech');
    api.compact();
    const before = podStatus(h).relists;
    api.endWatches('pods'); // server-side watch timeout: the client resumes from its last version…
    await vi.waitFor(() => expect(podStatus(h).relists).toBe(before + 1), { timeout: 10_000 });
    // …which was compacted: the server answered an ERROR event with a 410 Status
    expect(await value(h, 'tenantscope_k8s_relists_total', { resource: 'pods', reason: 'gone' })).toBe(1);
    await vi.waitFor(() => expect(api.openWatches('pods')).toBe(1));
    await expectSameAsServer(h);

    // with a bookmark the resumed version is current, so compaction does not force a list
    api.addNamespace('tenant-hooli');
    api.bookmark();
    const rvAtBookmark = String(api.resourceVersion);
    await vi.waitFor(() => expect(podStatus(h).resourceVersion).toBe(rvAtBookmark));
    api.compact();
    const podWatches = () => api.requests.filter((r) => r.path === '/api/v1/pods' && r.query.watch === 'true');
    const watchesBefore = podWatches().length;
    expect(api.endWatches('pods')).toBe(1);
    await vi.waitFor(() => expect(api.openWatches('pods')).toBe(1));
    const resumed = podWatches().slice(watchesBefore);
    expect(resumed.map((r) => r.query.resourceVersion)).toEqual([rvAtBookmark]);
    expect(resumed[0]!.query.allowWatchBookmarks).toBe('true');
    expect(await value(h, 'tenantscope_k8s_relists_total', { resource: 'pods', reason: 'gone' })).toBe(1);
  });

  it('403 on pods names the missing grant while the other resources keep flowing, and recovers', async () => {
    const api = await startKubeApiServer({ token: 's3cret' });
    seed(api);
    api.fail('pods', 'list', 403);
    const h = await setup({ api });
    await h.collector.start();
    await vi.waitFor(() => expect(podStatus(h).error).toBeDefined(), { timeout: 10_000 });
    expect(podStatus(h).error).toContain('cannot list pods at the cluster scope — grant "list" on "pods" in the ClusterRole (deploy/rbac.yaml)');
    expect(h.logger.lines.some((l) => l.includes('grant \\"list\\" on \\"pods\\"') || l.includes('grant "list" on "pods"'))).toBe(true);
    // everything else synced and exported
    await vi.waitFor(() => expect(h.collector.status().filter((s) => s.synced).map((s) => s.resource).sort()).toEqual(['cronjobs', 'jobs', 'namespaces', 'nodes', 'resourcequotas']));
    await h.collector.collect();
    expect(await value(h, 'tenantscope_k8s_node_info', { node: 'node-1', node_pool: 'pool-a' })).toBe(1);
    expect(await value(h, 'tenantscope_k8s_tenant_resourcequota', { tenant: 'acme', resource: 'pods', type: 'used' })).toBe(3);
    expect(await value(h, 'tenantscope_k8s_api_denied', { resource: 'pods', verb: 'list' })).toBe(1);
    expect(await value(h, 'tenantscope_k8s_watch_up', { resource: 'pods' })).toBe(0);
    expect(await value(h, 'tenantscope_k8s_up', {})).toBe(0);
    expect(await value(h, 'tenantscope_k8s_tenant_pods', { tenant: 'acme', node: 'node-1' })).toBeUndefined();

    // the grant is added: the retry lists pods and the denial clears
    api.clearFaults();
    await vi.waitFor(() => expect(podStatus(h).synced).toBe(true), { timeout: 10_000 });
    await h.collector.collect();
    expect(await value(h, 'tenantscope_k8s_tenant_pods', { tenant: 'acme', node: 'node-1' })).toBe(3);
    expect(await value(h, 'tenantscope_k8s_api_denied', { resource: 'pods', verb: 'list' })).toBeUndefined();
    expect(await value(h, 'tenantscope_k8s_up', {})).toBe(1);
  });

  it('403 on watching jobs names "watch" and "jobs" in apiGroup batch', async () => {
    const api = await startKubeApiServer({ token: 's3cret' });
    seed(api);
    api.fail('jobs', 'watch', 403);
    const h = await setup({ api });
    await h.collector.start();
    await vi.waitFor(() => expect(h.collector.status().find((s) => s.resource === 'jobs')!.error).toBeDefined(), { timeout: 10_000 });
    expect(h.collector.status().find((s) => s.resource === 'jobs')!.error).toContain('cannot watch jobs.batch at the cluster scope — grant "watch" on "jobs" in apiGroup "batch" in the ClusterRole (deploy/rbac.yaml)');
    await h.collector.collect();
    expect(await value(h, 'tenantscope_k8s_tenant_pods', { tenant: 'acme', node: 'node-1' })).toBe(3);
  });

  it('403 on metrics.k8s.io names the grant; object families still flow', async () => {
    const api = await startKubeApiServer({ token: 's3cret' });
    seed(api);
    api.fail('metrics', '*', 403);
    const h = await setup({ api });
    await h.collector.start();
    await h.collector.whenSynced(10_000);
    await h.collector.collect();
    expect(h.collector.metricsApiError()?.message).toContain('grant "list" on "pods" in apiGroup "metrics.k8s.io"');
    expect(await value(h, 'tenantscope_k8s_metrics_api_up', {})).toBe(0);
    expect(await value(h, 'tenantscope_k8s_tenant_pods', { tenant: 'globex', node: 'node-1' })).toBe(1);
  });

  /** a collector over the seed with usage for globex's pod (250m) and node-1 (2 cores), after its first collection */
  const startWithUsage = async () => {
    const api = await startKubeApiServer({ token: 's3cret' });
    seed(api);
    api.setPodMetrics('tenant-globex', 'odoo-bbbbb-00000', [{ name: 'odoo', cpu: '250m', memory: '100Mi' }]);
    api.setNodeMetrics('node-1', { cpu: '2', memory: '4Gi' });
    const h = await setup({ api });
    await h.collector.start();
    await h.collector.whenSynced(10_000);
    await h.collector.collect();
    const cpu = () => value(h, 'tenantscope_k8s_tenant_cpu_usage_cores', { tenant: 'globex', node: 'node-1' });
    const nodeCpu = () => value(h, 'tenantscope_k8s_node_cpu_usage_cores', { node: 'node-1', node_pool: 'pool-a' });
    expect(await cpu()).toBeCloseTo(0.25, 9);
    expect(await nodeCpu()).toBe(2);
    return { api, h, cpu, nodeCpu };
  };

  it('a failed metrics.k8s.io poll keeps the last usage series (no blink); the next good poll replaces them', async () => {
    const { api, h, cpu } = await startWithUsage();
    api.fail('metrics', '*', 500);
    await h.collector.collect();
    await h.collector.collect();
    expect(await value(h, 'tenantscope_k8s_metrics_api_up', {})).toBe(0);
    expect(await cpu()).toBeCloseTo(0.25, 9);
    api.clearFaults();
    api.setPodMetrics('tenant-globex', 'odoo-bbbbb-00000', [{ name: 'odoo', cpu: '500m', memory: '100Mi' }]);
    await h.collector.collect();
    expect(await value(h, 'tenantscope_k8s_metrics_api_up', {})).toBe(1);
    expect(await cpu()).toBeCloseTo(0.5, 9);
  });

  it('usage series go once metrics.k8s.io has failed for usageStaleAfterMs (at least two intervals), and come back with the next good read', async () => {
    const { api, h, cpu, nodeCpu } = await startWithUsage();
    api.fail('metrics', '*', 500);
    // usageStaleAfterMs is the default 5 min, but this harness polls hourly (metricsIntervalMs):
    // the series stay for two intervals, so that one failed poll does not make them blink
    h.clock.advance(300_000);
    await h.collector.collect();
    expect(await cpu()).toBeCloseTo(0.25, 9);
    // a wall clock stepped back does not stretch the wait
    h.clock.set(-60_000);
    await h.collector.collect();
    h.clock.advance(7_199_000);
    await h.collector.collect();
    expect(await cpu()).toBeCloseTo(0.25, 9);
    h.clock.advance(1_000);
    await h.collector.collect();
    expect(await cpu()).toBeUndefined();
    expect(await nodeCpu()).toBeUndefined();
    expect(await value(h, 'tenantscope_k8s_tenant_pods', { tenant: 'globex', node: 'node-1' })).toBe(1); // object families stay
    // one warning per half (tenant and node usage), each naming the setting and the last error
    const removed = h.logger.lines.filter((l) => l.includes('usage series removed'));
    expect(removed).toHaveLength(2);
    expect(removed[0]).toMatch(/no pods\.metrics\.k8s\.io read .*usageStaleAfterMs = 300000.*last error: kubernetes source: list pods\.metrics\.k8s\.io: HTTP 500: InternalError: Internal error occurred: stand-in fault/);
    expect(removed[1]).toMatch(/no nodes\.metrics\.k8s\.io read .*usageStaleAfterMs = 300000.*last error: kubernetes source: list nodes\.metrics\.k8s\.io: HTTP 500: InternalError/);
    // the failure itself was reported once per list over the six failing polls, not once per poll
    expect(h.logger.lines.filter((l) => l.includes('list pods.metrics.k8s.io: HTTP 500') && !l.includes('usage series removed'))).toHaveLength(1);
    expect(h.logger.lines.filter((l) => l.includes('list nodes.metrics.k8s.io: HTTP 500') && !l.includes('usage series removed'))).toHaveLength(1);
    await h.collector.collect();
    expect(h.logger.lines.filter((l) => l.includes('usage series removed'))).toHaveLength(2); // once per outage
    api.clearFaults();
    api.setPodMetrics('tenant-globex', 'odoo-bbbbb-00000', [{ name: 'odoo', cpu: '500m', memory: '100Mi' }]);
    await h.collector.collect();
    expect(await cpu()).toBeCloseTo(0.5, 9);
  });

  it('a denied nodes.metrics.k8s.io list holds back only the node usage: tenant usage flows, node usage expires alone', async () => {
    const { api, h, cpu, nodeCpu } = await startWithUsage();
    api.fail('nodes.metrics', 'list', 403);
    api.setPodMetrics('tenant-globex', 'odoo-bbbbb-00000', [{ name: 'odoo', cpu: '500m', memory: '100Mi' }]);
    await h.collector.collect();
    expect(await cpu()).toBeCloseTo(0.5, 9); // the tenant half is read and written
    expect(await nodeCpu()).toBe(2); // the node half keeps its last value
    expect(await value(h, 'tenantscope_k8s_metrics_api_up', {})).toBe(0);
    expect(h.collector.metricsApiError()?.message).toContain('grant "list" on "nodes" in apiGroup "metrics.k8s.io"');
    h.clock.advance(7_200_000); // two of this harness' hourly intervals
    await h.collector.collect();
    expect(await nodeCpu()).toBeUndefined();
    expect(await cpu()).toBeCloseTo(0.5, 9);
    expect(h.logger.lines.filter((l) => l.includes('usage series removed'))).toEqual([expect.stringContaining('no nodes.metrics.k8s.io read has succeeded')]);
    api.clearFaults();
    await h.collector.collect();
    expect(await nodeCpu()).toBe(2);
    expect(await value(h, 'tenantscope_k8s_metrics_api_up', {})).toBe(1);
    expect(h.collector.metricsApiError()).toBeUndefined();
    // the node half came back; the tenant half never went
    expect(h.logger.lines.filter((l) => l.includes('usage series back'))).toEqual([expect.stringContaining('usage series back: nodes.metrics.k8s.io read again')]);
  });

  it('an empty pods metrics list while pods exist (metrics-server just restarted) keeps the last tenant usage', async () => {
    const { api, h, cpu } = await startWithUsage();
    api.deletePodMetrics('tenant-globex', 'odoo-bbbbb-00000');
    await h.collector.collect();
    expect(await cpu()).toBeCloseTo(0.25, 9);
    api.setPodMetrics('tenant-globex', 'odoo-bbbbb-00000', [{ name: 'odoo', cpu: '750m', memory: '100Mi' }]);
    await h.collector.collect();
    expect(await cpu()).toBeCloseTo(0.75, 9);
  });

  it('429 on a list waits for Retry-After before retrying', async () => {
    const api = await startKubeApiServer({ token: 's3cret' });
    seed(api);
    api.fail('nodes', 'list', 429, { times: 1, retryAfterSeconds: 1 });
    const h = await setup({ api });
    await h.collector.start();
    await h.collector.whenSynced(10_000);
    const lists = api.requests.filter((r) => r.path === '/api/v1/nodes' && !r.query.watch);
    expect(lists.map((r) => r.status)).toEqual([429, 200]);
    // backoff alone would have retried after 20 ms
    expect(lists[1]!.at - lists[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it('401 names the rejected credentials and the kubeconfig', async () => {
    const api = await startKubeApiServer({ token: 's3cret' });
    seed(api);
    const h = await setup({ api, token: 'expired' });
    await h.collector.start();
    await vi.waitFor(() => expect(podStatus(h).error).toBeDefined(), { timeout: 10_000 });
    expect(podStatus(h).error).toMatch(/unauthorized \(401\): the API server rejected the credentials of kubeconfig .*kubeconfig, context standin/);
    expect(podStatus(h).error).not.toContain('expired'); // the token never reaches a message
  });

  it('an API server down at start is reported, retried, and picked up when it comes', async () => {
    const probe = await startKubeApiServer({ token: 's3cret' });
    const port = Number(new URL(probe.url).port);
    const kubeconfigText = probe.kubeconfig();
    await probe.stop();
    const later = new KubeApiServer({ token: 's3cret' });
    seed(later);
    const h = await setup({ api: later, kubeconfigText });
    await h.collector.start();
    await vi.waitFor(() => expect(podStatus(h).error).toContain('is the API server reachable'), { timeout: 10_000 });
    await h.collector.collect(); // a tick with nothing synced must not throw
    expect(await value(h, 'tenantscope_k8s_up', {})).toBe(0);
    await later.start(port);
    await h.collector.whenSynced(10_000);
    await h.collector.collect();
    expect(await value(h, 'tenantscope_k8s_tenant_pods', { tenant: 'acme', node: 'node-1' })).toBe(3);
    expect(await value(h, 'tenantscope_k8s_up', {})).toBe(1);
  });

  it('an unreadable kubeconfig or unknown context fails start with the remedy', async () => {
    const api = await startKubeApiServer({ token: 's3cret' });
    const missing = createKubernetesCollector(
      parseConfig({ sources: { kubernetes: { kubeconfig: '/nonexistent/kubeconfig' } } }).sources.kubernetes!,
      { registry: new Registry(), resolver: createTenantResolver(parseConfig({}).tenancy), clock: new ManualClock(0), logger: createMemoryLogger() },
    );
    await expect(missing.start()).rejects.toThrow(/\/nonexistent\/kubeconfig.*set sources\.kubernetes\.kubeconfig/s);
    const dir = mkdtempSync(join(tmpdir(), 'tenantscope-kube-'));
    cleanups.push(async () => {
      await api.stop();
      rmSync(dir, { recursive: true, force: true });
    });
    writeFileSync(join(dir, 'kubeconfig'), api.kubeconfig());
    const wrongContext = createKubernetesCollector(
      parseConfig({ sources: { kubernetes: { kubeconfig: join(dir, 'kubeconfig'), context: 'prod' } } }).sources.kubernetes!,
      { registry: new Registry(), resolver: createTenantResolver(parseConfig({}).tenancy), clock: new ManualClock(0), logger: createMemoryLogger() },
    );
    await expect(wrongContext.start()).rejects.toThrow('context "prod" is not in kubeconfig');
  });
});
