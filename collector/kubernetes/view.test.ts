import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/index.js';
import { createTenantResolver } from '../../tenancy/index.js';
import { buildView, ownerWorkload, type JobLike, type NodeLike, type PodLike, type ViewInput } from './view.js';

const resolver = createTenantResolver(
  parseConfig({ tenancy: { rules: { namespace: [{ label: 'tenantscope.io/tenant' }, { name: '^tenant-(?<tenant>[a-z0-9]+)$' }] } } }).tenancy,
);

const node = (name: string, pool: string): NodeLike => ({
  metadata: { name, labels: { 'eks.amazonaws.com/nodegroup': pool } },
  status: { allocatable: { cpu: '7910m', memory: '31127824Ki' } },
});

let uid = 0;
const pod = (namespace: string, nodeName: string, opts: { phase?: string; cpu?: string; restarts?: number; reason?: string; uid?: string; name?: string } = {}): PodLike => ({
  metadata: { name: opts.name ?? `p${++uid}`, namespace, uid: opts.uid ?? `uid-${uid}`, ownerReferences: [{ kind: 'ReplicaSet', name: 'odoo-5d8f9c7b6', controller: true }], labels: { 'pod-template-hash': '5d8f9c7b6' } },
  spec: { nodeName, containers: [{ name: 'odoo', resources: { requests: { cpu: opts.cpu ?? '500m', memory: '1Gi' } } }] },
  status: {
    phase: opts.phase ?? 'Running',
    qosClass: 'Burstable',
    containerStatuses: [{ name: 'odoo', restartCount: opts.restarts ?? 0, lastState: opts.reason ? { terminated: { reason: opts.reason } } : {} }],
  },
});

const input = (over: Partial<ViewInput>): ViewInput => ({
  resolver,
  nodePoolLabels: ['eks.amazonaws.com/nodegroup'],
  namespaces: [{ metadata: { name: 'tenant-a' } }, { metadata: { name: 'erp-b', labels: { 'tenantscope.io/tenant': 'b' } } }, { metadata: { name: 'kube-system' } }],
  pods: [],
  nodes: [node('n1', 'pool-x'), node('n2', 'pool-y')],
  quotas: [],
  jobs: [],
  cronjobs: [],
  podUsage: undefined,
  nodeUsage: undefined,
  ...over,
});

describe('buildView', () => {
  it('isolates tenants: each pod counts for the tenant of its namespace only', () => {
    const v = buildView(input({ pods: [pod('tenant-a', 'n1', { cpu: '1' }), pod('erp-b', 'n1', { cpu: '250m' }), pod('erp-b', 'n1', { cpu: '250m' })] }));
    expect(v.pods!.cpuRequest.get({ tenant: 'a', namespace: 'tenant-a', node: 'n1' })).toBe(1);
    expect(v.pods!.cpuRequest.get({ tenant: 'b', namespace: 'erp-b', node: 'n1' })).toBe(0.5);
    expect(v.pods!.running.get({ tenant: 'a', namespace: 'tenant-a', node: 'n1', node_pool: 'pool-x' })).toBe(1);
    expect(v.pods!.running.get({ tenant: 'b', namespace: 'erp-b', node: 'n1', node_pool: 'pool-x' })).toBe(2);
    expect(v.pods!.nodeTenants.get({ node: 'n1', node_pool: 'pool-x' })).toBe(2);
    for (const row of v.pods!.cpuRequest.rows.values()) expect(row.labels.namespace).toBe(row.labels.tenant === 'a' ? 'tenant-a' : 'erp-b');
  });

  it('counts pods by uid: one uid twice is one pod, two uids with one name are two', () => {
    const twin = pod('tenant-a', 'n1', { uid: 'same', name: 'odoo-0' });
    const v = buildView(input({ pods: [twin, { ...twin }, pod('tenant-a', 'n1', { uid: 'other', name: 'odoo-0' })] }));
    expect(v.pods!.podCount).toBe(2);
    expect(v.pods!.running.get({ tenant: 'a', namespace: 'tenant-a', node: 'n1', node_pool: 'pool-x' })).toBe(2);
  });

  it('leaves terminated and unscheduled pods out of co-location and requests', () => {
    const v = buildView(input({ pods: [pod('tenant-a', 'n1', { phase: 'Succeeded' }), pod('tenant-a', '', { phase: 'Pending' }), pod('tenant-a', 'n2', { phase: 'Pending' })] }));
    expect(v.pods!.running.size).toBe(0);
    expect(v.pods!.phase.get({ tenant: 'a', namespace: 'tenant-a', phase: 'Pending' })).toBe(2);
    // a bound Pending pod reserves capacity on its node; an unbound one nowhere
    expect(v.pods!.cpuRequest.get({ tenant: 'a', namespace: 'tenant-a', node: 'n2' })).toBe(0.5);
    expect(v.pods!.cpuRequest.get({ tenant: 'a', namespace: 'tenant-a', node: 'n1' })).toBeUndefined();
  });

  it('reports restarts with the last termination reason and OOM-killed containers per tenant', () => {
    const v = buildView(input({ pods: [pod('tenant-a', 'n1', { restarts: 3, reason: 'OOMKilled' }), pod('erp-b', 'n1', { restarts: 1, reason: 'Error' })] }));
    expect(v.pods!.containers.map((c) => [c.tenant, c.restarts, c.reason])).toEqual([
      ['a', 3, 'OOMKilled'],
      ['b', 1, 'Error'],
    ]);
    expect(v.pods!.oomKilled.get({ tenant: 'a', namespace: 'tenant-a' })).toBe(1);
    expect(v.pods!.oomKilled.get({ tenant: 'b', namespace: 'erp-b' })).toBeUndefined();
  });

  it('resolves a pod whose namespace the watch has not delivered by name, and platform namespaces to _unattributed', () => {
    const v = buildView(input({ namespaces: undefined, pods: [pod('tenant-z', 'n1'), pod('kube-system', 'n1')] }));
    expect(v.tenantOf('tenant-z')).toBe('z');
    expect(v.tenantOf('kube-system')).toBe('_unattributed');
  });

  it('names workloads by their controller', () => {
    expect(ownerWorkload(pod('tenant-a', 'n1'))).toEqual({ kind: 'Deployment', name: 'odoo' });
    expect(ownerWorkload({ metadata: { name: 'db-0', ownerReferences: [{ kind: 'StatefulSet', name: 'db', controller: true }] } })).toEqual({ kind: 'StatefulSet', name: 'db' });
    expect(ownerWorkload({ metadata: { name: 'b-1', ownerReferences: [{ kind: 'Job', name: 'pg-backup-29400000', controller: true }] } })).toEqual({ kind: 'CronJob', name: 'pg-backup' });
    expect(ownerWorkload({ metadata: { name: 'static' } })).toEqual({ kind: 'Pod', name: 'static' });
  });

  it('takes the newest successful backup run and counts failed runs per tenant backup', () => {
    const job = (namespace: string, name: string, ok: boolean, at: string | Date): JobLike => ({
      metadata: { namespace, name, ownerReferences: [{ kind: 'CronJob', name: 'pg-backup' }] },
      status: ok ? { completionTime: at, conditions: [{ type: 'Complete', status: 'True' }] } : { conditions: [{ type: 'Failed', status: 'True', lastTransitionTime: at }] },
    });
    const v = buildView(
      input({
        jobs: [
          job('tenant-a', 'pg-backup-1', true, '2026-11-20T02:00:00Z'),
          job('tenant-a', 'pg-backup-2', true, new Date('2026-11-21T02:00:00Z')), // typed list results carry Date
          job('tenant-a', 'pg-backup-3', false, '2026-11-22T02:00:00Z'),
          job('kube-system', 'etcd-1', true, '2026-11-22T02:00:00Z'),
        ],
        cronjobs: [{ metadata: { namespace: 'erp-b', name: 'nightly' }, status: {} }],
      }),
    );
    const b = v.backups!;
    expect(b.lastSuccess.get({ tenant: 'a', namespace: 'tenant-a', backup: 'pg-backup' })).toBe(Date.parse('2026-11-21T02:00:00Z') / 1000);
    expect(b.failedRuns.get({ tenant: 'a', namespace: 'tenant-a', backup: 'pg-backup' })).toBe(1);
    expect(b.lastFailure.get({ tenant: 'a', namespace: 'tenant-a', backup: 'pg-backup' })).toBe(Date.parse('2026-11-22T02:00:00Z') / 1000);
    expect(b.lastSuccess.get({ tenant: 'b', namespace: 'erp-b', backup: 'nightly' })).toBe(0); // never succeeded: alertable
    expect([...b.lastSuccess.rows.values()].some((r) => r.labels.namespace === 'kube-system')).toBe(false);
  });

  it('joins metrics API usage to the node of the watched pod and counts bad quantities', () => {
    const bad: string[] = [];
    const v = buildView(
      input({
        pods: [pod('tenant-a', 'n1', { name: 'web' })],
        podUsage: [
          { metadata: { name: 'web', namespace: 'tenant-a' }, containers: [{ name: 'odoo', usage: { cpu: '704595n', memory: '24716Ki' } }] },
          { metadata: { name: 'gone', namespace: 'erp-b' }, containers: [{ name: 'odoo', usage: { cpu: 'lots', memory: '1Mi' } }] },
        ],
        nodeUsage: [{ metadata: { name: 'n1' }, usage: { cpu: '2', memory: '4Gi' } }],
        onInvalidQuantity: (f) => bad.push(f),
      }),
    );
    expect(v.usage!.tenantCpu!.get({ tenant: 'a', namespace: 'tenant-a', node: 'n1' })).toBeCloseTo(0.000704595);
    expect(v.usage!.tenantMemory!.get({ tenant: 'a', namespace: 'tenant-a', node: 'n1' })).toBe(24716 * 1024);
    expect(v.usage!.tenantMemory!.get({ tenant: 'b', namespace: 'erp-b', node: '' })).toBe(2 ** 20);
    expect(v.usage!.nodeCpu!.get({ node: 'n1', node_pool: 'pool-x' })).toBe(2);
    expect(bad).toEqual(['usage.cpu']);
  });

  it('builds each half of the usage from its own list: nodes read, pods not, gives node usage only', () => {
    const v = buildView(input({ pods: [pod('tenant-a', 'n1', { name: 'web' })], nodeUsage: [{ metadata: { name: 'n1' }, usage: { cpu: '2', memory: '4Gi' } }] }));
    expect(v.usage!.nodeCpu!.get({ node: 'n1', node_pool: 'pool-x' })).toBe(2);
    expect(v.usage!.tenantCpu).toBeUndefined();
    expect(v.usage!.tenantMemory).toBeUndefined();
    expect(buildView(input({ pods: [pod('tenant-a', 'n1', { name: 'web' })] })).usage).toBeUndefined();
  });

  it('sums ResourceQuota hard and used per tenant namespace', () => {
    const v = buildView(input({ quotas: [{ metadata: { namespace: 'erp-b', name: 'compute' }, status: { hard: { 'limits.memory': '8Gi', pods: '10' }, used: { 'limits.memory': '3Gi', pods: '4' } } }] }));
    expect(v.quotas!.get({ tenant: 'b', namespace: 'erp-b', quota: 'compute', resource: 'limits.memory', type: 'hard' })).toBe(8 * 2 ** 30);
    expect(v.quotas!.get({ tenant: 'b', namespace: 'erp-b', quota: 'compute', resource: 'pods', type: 'used' })).toBe(4);
  });

  it('leaves out the families whose watch is not synced', () => {
    const v = buildView(input({ pods: undefined, quotas: undefined, jobs: undefined, cronjobs: undefined }));
    expect(v.pods).toBeUndefined();
    expect(v.quotas).toBeUndefined();
    expect(v.backups).toBeUndefined();
    expect(v.nodes!.info.size).toBe(2);
  });
});
