/**
 * What the reflectors store: a projection of each object onto the fields view.ts reads (client-go's
 * SetTransform), applied to list items and watch events alike before they are kept.
 *
 * Why this small: the stores live for the process' life, and at 10,000 pods a projection that kept
 * whole metadata (labels, owner uids, resourceVersion) and per-object copies of the same strings
 * held ~32 MB of heap. Here a pod keeps only its identity, node, phase, QoS, owner (kind and name),
 * its pod-template-hash label (ownerWorkload), per-container CPU/memory requests and limits and
 * restart state; strings that repeat across objects (namespaces, node names, phases, quantities)
 * are shared through an intern table, and equal request/limit pairs share one object.
 *
 * The projection works on the JSON shape that typed list results (class instances, Dates) and raw
 * watch events (plain JSON, strings) share, hence `any`.
 */
import type { WatchedResource } from './access.js';

/** repeated strings, one copy each; bounded so a churning cluster cannot grow it without end */
const strings = new Map<string, string>();
const resources = new Map<string, Readonly<Record<string, string>>>();
const INTERN_MAX = 50_000;

function intern<T>(s: T): T {
  if (typeof s !== 'string') return s;
  const hit = strings.get(s);
  if (hit !== undefined) return hit as T;
  if (strings.size >= INTERN_MAX) strings.clear();
  strings.set(s, s);
  return s;
}

/** requests or limits reduced to the cpu and memory view.ts sums, one shared object per pair */
function quantities(r: any): Readonly<Record<string, string>> | undefined {
  if (!r || typeof r !== 'object') return undefined;
  const cpu: unknown = r.cpu;
  const memory: unknown = r.memory;
  const key = `${typeof cpu === 'string' ? cpu : ''}\u0001${typeof memory === 'string' ? memory : ''}\u0001${cpu === undefined ? 0 : 1}${memory === undefined ? 0 : 1}`;
  let q = resources.get(key);
  if (q === undefined) {
    const o: Record<string, string> = {};
    if (cpu !== undefined) o.cpu = intern(cpu as string);
    if (memory !== undefined) o.memory = intern(memory as string);
    q = Object.freeze(o);
    if (resources.size >= INTERN_MAX) resources.clear();
    resources.set(key, q);
  }
  return q;
}

const owner = (r: any) => ({ kind: intern(r.kind), name: intern(r.name), controller: r.controller });

/** identity and the fields every resource's view reads; `labels` only where a view reads them */
function meta(m: any, labels: 'all' | 'pod' | 'none', owners: boolean): any {
  if (!m || typeof m !== 'object') return undefined;
  const out: any = { name: m.name, namespace: intern(m.namespace), uid: m.uid };
  if (labels === 'all' && m.labels !== undefined) out.labels = m.labels;
  if (labels === 'pod') {
    // ownerWorkload() reads only pod-template-hash of a pod's labels
    const hash = m.labels?.['pod-template-hash'];
    if (hash !== undefined) out.labels = { 'pod-template-hash': hash };
  }
  if (owners && Array.isArray(m.ownerReferences)) out.ownerReferences = m.ownerReferences.map(owner);
  return out;
}

const containerStatus = (c: any) => ({
  name: intern(c.name),
  restartCount: c.restartCount,
  lastState: c.lastState?.terminated ? { terminated: { reason: intern(c.lastState.terminated.reason) } } : undefined,
});

const condition = (c: any) => ({ type: intern(c.type), status: intern(c.status), lastTransitionTime: c.lastTransitionTime });

/** The fields view.ts reads, per resource; everything else is dropped before storing. */
export const SLIM: Record<WatchedResource, (o: any) => any> = {
  pods: (p) => ({
    metadata: meta(p.metadata, 'pod', true),
    spec: {
      nodeName: intern(p.spec?.nodeName),
      containers: (p.spec?.containers ?? []).map((c: any) => ({ resources: c.resources ? { requests: quantities(c.resources.requests), limits: quantities(c.resources.limits) } : undefined })),
    },
    status: {
      phase: intern(p.status?.phase),
      qosClass: intern(p.status?.qosClass),
      containerStatuses: (p.status?.containerStatuses ?? []).map(containerStatus),
      initContainerStatuses: (p.status?.initContainerStatuses ?? []).map(containerStatus),
    },
  }),
  nodes: (n) => ({ metadata: meta(n.metadata, 'all', false), spec: { taints: n.spec?.taints }, status: { allocatable: n.status?.allocatable } }),
  namespaces: (n) => ({ metadata: meta(n.metadata, 'all', false) }),
  resourcequotas: (q) => ({ metadata: meta(q.metadata, 'none', false), status: { hard: q.status?.hard, used: q.status?.used } }),
  jobs: (j) => ({
    metadata: meta(j.metadata, 'none', true),
    status: {
      succeeded: j.status?.succeeded,
      failed: j.status?.failed,
      completionTime: j.status?.completionTime,
      startTime: j.status?.startTime,
      conditions: j.status?.conditions?.map(condition),
    },
  }),
  cronjobs: (c) => ({ metadata: meta(c.metadata, 'none', false), status: { lastSuccessfulTime: c.status?.lastSuccessfulTime, lastScheduleTime: c.status?.lastScheduleTime } }),
};

/**
 * metrics.k8s.io items as view.ts reads them, typed: name, namespace and each container's usage.
 * The collector holds a poll's items only until that tick's view is built.
 */
export const slimPodUsage = (m: any) => ({
  metadata: { name: m.metadata?.name, namespace: intern(m.metadata?.namespace) },
  containers: (m.containers ?? []).map((c: any) => ({ name: intern(c.name), usage: { cpu: c.usage?.cpu, memory: c.usage?.memory } })),
});

export const slimNodeUsage = (m: any) => ({ metadata: { name: intern(m.metadata?.name) }, usage: { cpu: m.usage?.cpu, memory: m.usage?.memory } });
