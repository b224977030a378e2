import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/index.js';
import { createTenantResolver } from '../../tenancy/index.js';
import { KubeApiServer, readFixture, type Resource } from '../../test/standins/kube-apiserver.js';
import { SLIM, slimNodeUsage, slimPodUsage } from './slim.js';
import { buildView, Samples, type TenantView } from './view.js';

const LABEL = 'tenantscope.io/backup';

/** every Samples of a view as sorted [key, value] rows, and the container restarts */
function flat(v: TenantView): unknown {
  const out: Record<string, unknown> = {};
  const walk = (prefix: string, o: unknown) => {
    if (o instanceof Samples) out[prefix] = [...o.rows.entries()].map(([k, r]) => [k, r.value, r.labels]).sort();
    else if (Array.isArray(o)) out[prefix] = [...o].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    else if (o && typeof o === 'object') for (const [k, x] of Object.entries(o)) walk(`${prefix}.${k}`, x);
    else if (typeof o !== 'function') out[prefix] = o;
  };
  walk('view', v);
  return out;
}

/** the recorded GKE pods and EKS nodes plus tenant workloads, quotas, backups, an OOM kill */
function cluster(): KubeApiServer {
  const api = new KubeApiServer({ fixtures: true });
  api.addNode('pool-a-1', { pool: 'pool-a', taints: [{ key: 'dedicated', value: 'erp', effect: 'NoSchedule' }] });
  api.addNamespace('tenant-acme');
  api.addNamespace('shared-x', { 'tenantscope.io/tenant': 'globex' });
  api.addPod('tenant-acme', 'odoo-7d9f8-abcde', {
    node: 'pool-a-1',
    containers: [
      { name: 'odoo', requests: { cpu: '500m', memory: '1Gi', 'ephemeral-storage': '1Gi' }, limits: { cpu: '1', memory: '2Gi' } },
      { name: 'nginx', requests: { cpu: '50m' } },
    ],
  });
  api.addPod('tenant-acme', 'odoo-7d9f8-fghij', { node: 'pool-a-1', labels: { app: 'odoo', 'pod-template-hash': '7d9f8' } });
  api.addPod('shared-x', 'worker-0', { node: 'pool-a-1', owner: { kind: 'StatefulSet', name: 'worker' } });
  api.addPod('shared-x', 'pending-1', { phase: 'Pending' });
  api.addPod('tenant-acme', 'backup-29000000-xyz12', { node: 'pool-a-1', phase: 'Succeeded', owner: { kind: 'Job', name: 'backup-29000000' } });
  api.oomKill('tenant-acme', 'odoo-7d9f8-abcde', 'odoo');
  api.addResourceQuota('tenant-acme', 'compute', { 'requests.cpu': '4', 'requests.memory': '8Gi' }, { 'requests.cpu': '550m', 'requests.memory': '1Gi' });
  api.addBackupCronJob('tenant-acme', 'pg-backup', { label: LABEL, lastSuccessfulTime: new Date(Date.UTC(2026, 10, 21, 2)) });
  api.addBackupJob('tenant-acme', 'pg-backup-29000001', { label: LABEL, succeeded: true, at: new Date(Date.UTC(2026, 10, 22, 2)), cronJob: 'pg-backup' });
  api.addBackupJob('tenant-acme', 'pg-backup-29000002', { label: LABEL, succeeded: false, at: new Date(Date.UTC(2026, 10, 22, 3)), cronJob: 'pg-backup' });
  return api;
}

describe('slim projections of watched objects', () => {
  const config = parseConfig({ tenancy: { rules: { namespace: [{ label: 'tenantscope.io/tenant' }, { name: '^tenant-(?<tenant>[a-z0-9]+)$' }] } } });
  const view = (api: KubeApiServer, slim: boolean, usage?: { pods: any[]; nodes: any[] }): TenantView => {
    const get = (r: Resource) => (slim ? api.list(r).map(SLIM[r]) : api.list(r));
    return buildView({
      resolver: createTenantResolver(config.tenancy),
      nodePoolLabels: ['eks.amazonaws.com/nodegroup', 'cloud.google.com/gke-nodepool'],
      namespaces: get('namespaces'),
      pods: get('pods'),
      nodes: get('nodes'),
      quotas: get('resourcequotas'),
      jobs: get('jobs'),
      cronjobs: get('cronjobs'),
      podUsage: usage && (slim ? usage.pods.map(slimPodUsage) : usage.pods),
      nodeUsage: usage && (slim ? usage.nodes.map(slimNodeUsage) : usage.nodes),
    });
  };

  it('give the tenant view exactly what the whole objects give', () => {
    const api = cluster();
    const whole = flat(view(api, false));
    expect(flat(view(api, true))).toEqual(whole);
    // and the view is not empty: the comparison covers every family
    const v = view(api, true);
    expect(v.pods!.podCount).toBeGreaterThan(8);
    expect(v.pods!.oomKilled.size).toBe(1);
    expect(v.quotas!.size).toBeGreaterThan(0);
    expect(v.backups!.failedRuns.size).toBe(1);
    expect(v.nodes!.taints.size).toBeGreaterThan(0);
  });

  it('keep the recorded metrics.k8s.io usage as the view reads it, without timestamps and windows', () => {
    const api = cluster();
    // the recorded metrics-server PodMetricsList (its pods are the recorded GKE pods the stand-in serves)
    const pods = readFixture('podmetrics.json').items as any[];
    const nodes = api.list('nodes').map((n: any) => ({ metadata: { name: n.metadata.name, creationTimestamp: '2026-11-23T00:00:00Z' }, timestamp: '2026-11-23T00:00:00Z', window: '20.03s', usage: { cpu: '1234567n', memory: '2048Ki' } }));
    const whole = view(api, false, { pods, nodes });
    expect(flat(view(api, true, { pods, nodes }))).toEqual(flat(whole));
    expect(whole.usage!.tenantCpu!.size).toBeGreaterThan(0);
    expect(whole.usage!.nodeMemory!.size).toBe(nodes.length);
    const slim = slimPodUsage(pods[0]);
    expect(Object.keys(slim)).toEqual(['metadata', 'containers']);
    expect(Object.keys(slim.metadata)).toEqual(['name', 'namespace']);
    expect(slim.containers[0].usage).toEqual(pods[0].containers[0].usage);
  });

  it('drop what the view does not read and share repeated values', () => {
    const api = cluster();
    const pods = api.list('pods').map(SLIM.pods);
    const acme = pods.filter((p) => p.metadata.namespace === 'tenant-acme' && p.metadata.name.startsWith('odoo-'));
    expect(acme).toHaveLength(2);
    const [a, b] = acme;
    expect(a.metadata.labels).toBeUndefined(); // app=odoo is not read; pod-template-hash is
    expect(b.metadata.labels).toEqual({ 'pod-template-hash': '7d9f8' });
    expect(a.metadata.resourceVersion).toBeUndefined();
    expect(Object.keys(a.metadata.ownerReferences[0])).toEqual(['kind', 'name', 'controller']);
    expect(a.spec.containers[0].resources.requests).toEqual({ cpu: '500m', memory: '1Gi' });
    // equal request/limit pairs are one object
    expect(a.spec.containers[0].resources.limits).toBe(b.spec.containers[0].resources.limits);
    expect(Object.isFrozen(a.spec.containers[0].resources.limits)).toBe(true);
  });
});
