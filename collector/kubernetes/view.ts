/**
 * The tenant view of cluster state: pure functions from watched objects (+ metrics API usage) to
 * aggregated samples. No client, no registry: unit-testable with plain JSON, and the place where
 * tenant isolation is decided (a pod counts for the tenant of its namespace, nothing else).
 *
 * Objects are typed structurally with the few fields read, so both the client's typed list results
 * (timestamps as Date) and raw watch events (timestamps as strings) fit.
 */
import type { TenantResolver } from '../../tenancy/index.js';
import { UNATTRIBUTED_TENANT } from '../../tenancy/index.js';
import { labelKey } from '../series.js';
import { parseQuantity } from './quantity.js';

type Labels = Record<string, string>;
type Time = Date | string | undefined | null;

export interface ObjectMeta {
  name?: string | undefined;
  namespace?: string | undefined;
  uid?: string | undefined;
  labels?: Record<string, string> | undefined;
  ownerReferences?: { kind: string; name: string; controller?: boolean | undefined }[] | undefined;
}

interface Resources {
  requests?: Record<string, string> | undefined;
  limits?: Record<string, string> | undefined;
}

export interface PodLike {
  metadata?: ObjectMeta | undefined;
  spec?: { nodeName?: string | undefined; containers?: { name: string; resources?: Resources | undefined }[] | undefined } | undefined;
  status?:
    | {
        phase?: string | undefined;
        qosClass?: string | undefined;
        containerStatuses?: ContainerStatusLike[] | undefined;
        initContainerStatuses?: ContainerStatusLike[] | undefined;
      }
    | undefined;
}

export interface ContainerStatusLike {
  name: string;
  restartCount?: number | undefined;
  lastState?: { terminated?: { reason?: string | undefined } | undefined } | undefined;
}

export interface NodeLike {
  metadata?: ObjectMeta | undefined;
  spec?: { taints?: { key: string; value?: string | undefined; effect: string }[] | undefined } | undefined;
  status?: { allocatable?: Record<string, string> | undefined } | undefined;
}

export interface NamespaceLike {
  metadata?: ObjectMeta | undefined;
}

export interface QuotaLike {
  metadata?: ObjectMeta | undefined;
  status?: { hard?: Record<string, string> | undefined; used?: Record<string, string> | undefined } | undefined;
}

export interface JobLike {
  metadata?: ObjectMeta | undefined;
  status?:
    | {
        succeeded?: number | undefined;
        failed?: number | undefined;
        completionTime?: Time;
        startTime?: Time;
        conditions?: { type: string; status: string; lastTransitionTime?: Time }[] | undefined;
      }
    | undefined;
}

export interface CronJobLike {
  metadata?: ObjectMeta | undefined;
  status?: { lastSuccessfulTime?: Time; lastScheduleTime?: Time } | undefined;
}

export interface PodUsage {
  metadata: { name: string; namespace: string };
  containers: { name: string; usage: { cpu: string; memory: string } }[];
}

export interface NodeUsage {
  metadata: { name: string };
  usage: { cpu: string; memory: string };
}

/**
 * Samples of one family keyed by label set; `add` sums. Each family builds its label objects in one
 * fixed key order, so the values alone are the key (cheaper than sorting keys for 10,000 pods).
 */
const keyOf = (labels: Labels): string => Object.values(labels).join('\u0001');

/** keyOf() of a labels object whose values are these, in this order, without making the object */
const rowKey = (a: string, b: string, c?: string, d?: string): string =>
  d !== undefined ? `${a}\u0001${b}\u0001${c}\u0001${d}` : c !== undefined ? `${a}\u0001${b}\u0001${c}` : `${a}\u0001${b}`;

/** label names of the rows buildView adds by values (Samples.addBy/addAt), in their labels' order */
const TENANT_NS = ['tenant', 'namespace'] as const;
const TENANT_NS_PHASE = ['tenant', 'namespace', 'phase'] as const;
const TENANT_NS_QOS = ['tenant', 'namespace', 'qos_class'] as const;
const TENANT_NS_NODE = ['tenant', 'namespace', 'node'] as const;
const TENANT_NS_WORKLOAD = ['tenant', 'namespace', 'workload_kind', 'workload'] as const;
const TENANT_NS_NODE_POOL = ['tenant', 'namespace', 'node', 'node_pool'] as const;

export class Samples {
  readonly rows = new Map<string, { labels: Labels; value: number }>();
  add(labels: Labels, v: number): void {
    const k = keyOf(labels);
    const row = this.rows.get(k);
    if (row) row.value += v;
    else this.rows.set(k, { labels, value: v });
  }
  /**
   * add() of the labels object with these names and (string) values, in this order, made only when
   * its row is new. buildView adds each pod to several families every tick, mostly to rows other pods
   * of the tenant made: a hit costs the key string alone, not a labels object, its values array and
   * their join (the largest share of the collector's garbage in an allocation profile).
   */
  addBy(names: readonly string[], v: number, a: string, b: string, c?: string, d?: string): void {
    this.addAt(rowKey(a, b, c, d), names, v, a, b, c, d);
  }
  /** addBy() under a key the caller made already (rowKey of the values) for another family */
  addAt(k: string, names: readonly string[], v: number, a: string, b: string, c?: string, d?: string): void {
    const row = this.rows.get(k);
    if (row) {
      row.value += v;
      return;
    }
    const labels: Labels = { [names[0]!]: a, [names[1]!]: b };
    if (c !== undefined) labels[names[2]!] = c;
    if (d !== undefined) labels[names[3]!] = d;
    this.rows.set(k, { labels, value: v });
  }
  max(labels: Labels, v: number): void {
    const k = keyOf(labels);
    const row = this.rows.get(k);
    if (!row) this.rows.set(k, { labels, value: v });
    else if (v > row.value) row.value = v;
  }
  get(labels: Labels): number | undefined {
    // lookups (tests, joins) may build labels in any order
    for (const row of this.rows.values()) if (labelKey(row.labels) === labelKey(labels)) return row.value;
    return undefined;
  }
  get size(): number {
    return this.rows.size;
  }
}

export function toSeconds(t: Time): number | undefined {
  if (t === undefined || t === null) return undefined;
  const ms = t instanceof Date ? t.getTime() : Date.parse(t);
  return Number.isFinite(ms) ? ms / 1000 : undefined;
}

export function nodePool(node: NodeLike | undefined, poolLabels: readonly string[]): string {
  const labels = node?.metadata?.labels ?? {};
  for (const l of poolLabels) if (labels[l]) return labels[l];
  return '';
}

/**
 * The workload that owns a pod: a ReplicaSet's pods belong to its Deployment (name without the
 * pod-template-hash), a Job's to its CronJob when the name has the scheduled-time suffix; a pod
 * without a controller is its own workload.
 */
export function ownerWorkload(pod: PodLike): { kind: string; name: string } {
  const refs = pod.metadata?.ownerReferences ?? [];
  const ref = refs.find((r) => r.controller) ?? refs[0];
  if (!ref) return { kind: 'Pod', name: pod.metadata?.name ?? '' };
  const hash = pod.metadata?.labels?.['pod-template-hash'];
  if (ref.kind === 'ReplicaSet') {
    if (hash && ref.name.endsWith(`-${hash}`)) return { kind: 'Deployment', name: ref.name.slice(0, -hash.length - 1) };
    const m = /^(.*)-[a-z0-9]{5,10}$/.exec(ref.name);
    return m ? { kind: 'Deployment', name: m[1]! } : { kind: 'ReplicaSet', name: ref.name };
  }
  if (ref.kind === 'Job') {
    // CronJob jobs are named <cronjob>-<minutes since epoch>
    const m = /^(.*)-\d{8,}$/.exec(ref.name);
    return m ? { kind: 'CronJob', name: m[1]! } : { kind: 'Job', name: ref.name };
  }
  return { kind: ref.kind, name: ref.name };
}

const TERMINATED = new Set(['Succeeded', 'Failed']);

export interface ViewInput {
  resolver: TenantResolver;
  nodePoolLabels: readonly string[];
  /** undefined = that watch is not synced; the families it feeds are left as they were */
  namespaces: Iterable<NamespaceLike> | undefined;
  pods: Iterable<PodLike> | undefined;
  nodes: Iterable<NodeLike> | undefined;
  quotas: Iterable<QuotaLike> | undefined;
  jobs: Iterable<JobLike> | undefined;
  cronjobs: Iterable<CronJobLike> | undefined;
  podUsage: readonly PodUsage[] | undefined;
  nodeUsage: readonly NodeUsage[] | undefined;
  /** counts a quantity that does not parse */
  onInvalidQuantity?: (field: string) => void;
}

export interface ContainerRestarts {
  /** the pod (its uid; namespace/name without one) and the container's name in it */
  pod: string;
  container: string;
  tenant: string;
  namespace: string;
  restarts: number;
  reason: string;
}

export interface TenantView {
  /** namespace → tenant, for every namespace seen (watched or only referenced by a pod) */
  tenantOf: (namespace: string) => string;
  pods?: {
    running: Samples; // tenant, namespace, node, node_pool
    cpuRequest: Samples; // tenant, namespace, node
    memoryRequest: Samples;
    cpuLimit: Samples; // tenant, namespace
    memoryLimit: Samples;
    phase: Samples; // tenant, namespace, phase
    qos: Samples; // tenant, namespace, qos_class
    workloads: Samples; // tenant, namespace, workload_kind, workload
    oomKilled: Samples; // tenant, namespace
    nodeTenants: Samples; // node, node_pool
    containers: ContainerRestarts[];
    /** pods (uid) that list no container status at all this time (being scheduled, or a status the kubelet has not reported yet) */
    unlisted: string[];
    podCount: number;
  };
  nodes?: { info: Samples; taints: Samples; cpu: Samples; memory: Samples };
  quotas?: Samples; // tenant, namespace, quota, resource, type
  backups?: { lastSuccess: Samples; failedRuns: Samples; lastFailure: Samples };
  /** each half only when its metrics.k8s.io list was read (pods: the tenant families; nodes: the node families) */
  usage?: { tenantCpu?: Samples; tenantMemory?: Samples; nodeCpu?: Samples; nodeMemory?: Samples };
}

/** a pod's containers' restart state, and its OOM kills, into the view */
function containerRestarts(v: { containers: ContainerRestarts[]; oomKilled: Samples }, statuses: readonly ContainerStatusLike[] | undefined, pod: string, tenant: string, namespace: string): void {
  if (!statuses) return;
  for (const cs of statuses) {
    const reason = cs.lastState?.terminated?.reason || (cs.restartCount ? 'Unknown' : 'none');
    v.containers.push({ pod, container: cs.name, tenant, namespace, restarts: cs.restartCount ?? 0, reason });
    if (reason === 'OOMKilled') v.oomKilled.addBy(TENANT_NS, 1, tenant, namespace);
  }
}

export function buildView(input: ViewInput): TenantView {
  const { resolver } = input;
  const bad = input.onInvalidQuantity ?? (() => {});
  const q = (field: string, v: string | undefined): number => {
    if (v === undefined) return 0;
    const n = parseQuantity(v);
    if (n === undefined) {
      bad(field);
      return 0;
    }
    return n;
  };

  // Namespaces → tenants, only through the resolver. A namespace the watch has not delivered (not
  // synced, or a pod racing its namespace) resolves by name alone.
  const nsTenant = new Map<string, string>();
  for (const ns of input.namespaces ?? []) {
    const name = ns.metadata?.name;
    if (name) nsTenant.set(name, resolver.namespace({ name, labels: ns.metadata?.labels }));
  }
  const tenantOf = (namespace: string): string => {
    let t = nsTenant.get(namespace);
    if (t === undefined) {
      t = namespace ? resolver.namespace({ name: namespace }) : UNATTRIBUTED_TENANT;
      nsTenant.set(namespace, t);
    }
    return t;
  };

  const nodesByName = new Map<string, NodeLike>();
  for (const n of input.nodes ?? []) if (n.metadata?.name) nodesByName.set(n.metadata.name, n);
  const poolOf = (node: string) => nodePool(nodesByName.get(node), input.nodePoolLabels);

  const view: TenantView = { tenantOf };

  // pods by uid (the stores are uid-keyed; a Map here also dedupes a source that repeats a uid)
  const podsByName = new Map<string, PodLike>(); // namespace/name → non-terminated pod, for usage joins
  if (input.pods) {
    const byUid = new Map<string, PodLike>();
    for (const p of input.pods) byUid.set(p.metadata?.uid || `${p.metadata?.namespace}/${p.metadata?.name}`, p);
    const v = {
      running: new Samples(),
      cpuRequest: new Samples(),
      memoryRequest: new Samples(),
      cpuLimit: new Samples(),
      memoryLimit: new Samples(),
      phase: new Samples(),
      qos: new Samples(),
      workloads: new Samples(),
      oomKilled: new Samples(),
      nodeTenants: new Samples(),
      containers: [] as ContainerRestarts[],
      unlisted: [] as string[],
      podCount: byUid.size,
    };
    const tenantsOnNode = new Map<string, Set<string>>();
    // forEach, not for…of: no [key, value] array per pod
    byUid.forEach((pod, uid) => {
      const namespace = pod.metadata?.namespace ?? '';
      const tenant = tenantOf(namespace);
      const phase = pod.status?.phase || 'Unknown';
      const node = pod.spec?.nodeName ?? '';
      v.phase.addBy(TENANT_NS_PHASE, 1, tenant, namespace, phase);
      const listed = v.containers.length;
      containerRestarts(v, pod.status?.initContainerStatuses, uid, tenant, namespace);
      containerRestarts(v, pod.status?.containerStatuses, uid, tenant, namespace);
      if (v.containers.length === listed) v.unlisted.push(uid);
      if (TERMINATED.has(phase)) return;
      podsByName.set(`${namespace}/${pod.metadata?.name ?? ''}`, pod);
      v.qos.addBy(TENANT_NS_QOS, 1, tenant, namespace, pod.status?.qosClass || 'Unknown');
      const w = ownerWorkload(pod);
      v.workloads.addBy(TENANT_NS_WORKLOAD, 1, tenant, namespace, w.kind, w.name);
      if (!node) return; // not scheduled: no node to co-locate on, nothing reserved
      let cpuReq = 0;
      let memReq = 0;
      let cpuLim = 0;
      let memLim = 0;
      for (const c of pod.spec?.containers ?? []) {
        cpuReq += q('requests.cpu', c.resources?.requests?.cpu);
        memReq += q('requests.memory', c.resources?.requests?.memory);
        cpuLim += q('limits.cpu', c.resources?.limits?.cpu);
        memLim += q('limits.memory', c.resources?.limits?.memory);
      }
      const tnn = rowKey(tenant, namespace, node);
      v.cpuRequest.addAt(tnn, TENANT_NS_NODE, cpuReq, tenant, namespace, node);
      v.memoryRequest.addAt(tnn, TENANT_NS_NODE, memReq, tenant, namespace, node);
      v.cpuLimit.addBy(TENANT_NS, cpuLim, tenant, namespace);
      v.memoryLimit.addBy(TENANT_NS, memLim, tenant, namespace);
      if (phase === 'Running') {
        const pool = poolOf(node);
        v.running.addBy(TENANT_NS_NODE_POOL, 1, tenant, namespace, node, pool);
        let set = tenantsOnNode.get(node);
        if (!set) tenantsOnNode.set(node, (set = new Set()));
        set.add(tenant);
      }
    });
    for (const [node, set] of tenantsOnNode) v.nodeTenants.add({ node, node_pool: poolOf(node) }, set.size);
    view.pods = v;
  }

  if (input.nodes) {
    const info = new Samples();
    const taints = new Samples();
    const cpu = new Samples();
    const memory = new Samples();
    for (const [name, n] of nodesByName) {
      const pool = poolOf(name);
      info.add({ node: name, node_pool: pool }, 1);
      cpu.add({ node: name, node_pool: pool }, q('allocatable.cpu', n.status?.allocatable?.cpu));
      memory.add({ node: name, node_pool: pool }, q('allocatable.memory', n.status?.allocatable?.memory));
      for (const t of n.spec?.taints ?? []) taints.add({ node: name, key: t.key, value: t.value ?? '', effect: t.effect }, 1);
    }
    view.nodes = { info, taints, cpu, memory };
  }

  if (input.quotas) {
    const s = new Samples();
    for (const rq of input.quotas) {
      const namespace = rq.metadata?.namespace ?? '';
      const tenant = tenantOf(namespace);
      const quota = rq.metadata?.name ?? '';
      for (const [type, values] of [['hard', rq.status?.hard], ['used', rq.status?.used]] as const) {
        for (const [resource, val] of Object.entries(values ?? {})) {
          const n = parseQuantity(val);
          if (n === undefined) bad(`quota.${type}`);
          else s.add({ tenant, namespace, quota, resource, type }, n);
        }
      }
    }
    view.quotas = s;
  }

  if (input.jobs || input.cronjobs) {
    const lastSuccess = new Samples();
    const failedRuns = new Samples();
    const lastFailure = new Samples();
    const backupName = (meta: ObjectMeta | undefined, ownerKind: 'CronJob' | undefined): string => {
      const owner = ownerKind ? meta?.ownerReferences?.find((r) => r.kind === ownerKind) : undefined;
      if (owner) return owner.name;
      const m = /^(.*)-\d{8,}$/.exec(meta?.name ?? '');
      return m ? m[1]! : (meta?.name ?? '');
    };
    for (const cj of input.cronjobs ?? []) {
      const namespace = cj.metadata?.namespace ?? '';
      const tenant = tenantOf(namespace);
      // backups of tenants only: platform namespaces (_unattributed) are not a tenant's backup
      if (tenant === UNATTRIBUTED_TENANT) continue;
      const labels = { tenant, namespace, backup: cj.metadata?.name ?? '' };
      lastSuccess.max(labels, toSeconds(cj.status?.lastSuccessfulTime) ?? 0);
      failedRuns.add(labels, 0);
      lastFailure.max(labels, 0);
    }
    for (const job of input.jobs ?? []) {
      const namespace = job.metadata?.namespace ?? '';
      const tenant = tenantOf(namespace);
      if (tenant === UNATTRIBUTED_TENANT) continue;
      const labels = { tenant, namespace, backup: backupName(job.metadata, 'CronJob') };
      const cond = (type: string) => job.status?.conditions?.find((c) => c.type === type && c.status === 'True');
      const complete = cond('Complete') ?? cond('SuccessCriteriaMet');
      const failed = cond('Failed');
      lastSuccess.max(labels, complete ? (toSeconds(job.status?.completionTime) ?? toSeconds(complete.lastTransitionTime) ?? 0) : 0);
      failedRuns.add(labels, failed ? 1 : 0);
      lastFailure.max(labels, failed ? (toSeconds(failed.lastTransitionTime) ?? toSeconds(job.status?.startTime) ?? 0) : 0);
    }
    view.backups = { lastSuccess, failedRuns, lastFailure };
  }

  const usage: NonNullable<TenantView['usage']> = {};
  if (input.podUsage) {
    const tenantCpu = (usage.tenantCpu = new Samples());
    const tenantMemory = (usage.tenantMemory = new Samples());
    for (const pm of input.podUsage) {
      const namespace = pm.metadata.namespace;
      // the node comes from the watched pod; usage of a pod the watch does not know yet has no node
      const node = podsByName.get(`${namespace}/${pm.metadata.name}`)?.spec?.nodeName ?? '';
      const tenant = tenantOf(namespace);
      const k = rowKey(tenant, namespace, node);
      for (const c of pm.containers) {
        tenantCpu.addAt(k, TENANT_NS_NODE, q('usage.cpu', c.usage.cpu), tenant, namespace, node);
        tenantMemory.addAt(k, TENANT_NS_NODE, q('usage.memory', c.usage.memory), tenant, namespace, node);
      }
    }
  }
  if (input.nodeUsage) {
    const nodeCpu = (usage.nodeCpu = new Samples());
    const nodeMemory = (usage.nodeMemory = new Samples());
    for (const nm of input.nodeUsage) {
      const labels = { node: nm.metadata.name, node_pool: poolOf(nm.metadata.name) };
      nodeCpu.add(labels, q('usage.cpu', nm.usage.cpu));
      nodeMemory.add(labels, q('usage.memory', nm.usage.memory));
    }
  }
  if (input.podUsage || input.nodeUsage) view.usage = usage;

  return view;
}
