/**
 * A small, protocol-faithful Kubernetes API server stand-in (node:http) for integration tests.
 *
 * What it speaks, as the real apiserver does:
 * - lists with `metadata.resourceVersion` on the list and on every object, `labelSelector`
 *   (`k`, `!k`, `k=v`, `k!=v`, comma-joined), `limit` + `continue` paging;
 * - `?watch=true|1&resourceVersion=N` as a stream of newline-delimited JSON events (ADDED, MODIFIED,
 *   DELETED, BOOKMARK when `allowWatchBookmarks=true`); `resourceVersion` absent/"0" starts with
 *   synthetic ADDED events for the current state; a version older than the retained history gets
 *   an ERROR event carrying a 410 Gone Status object, then the stream ends (what kube-apiserver does
 *   once etcd compacted the version away);
 * - failures as `Status` objects: 401, 403 (message names verb, resource and scope like RBAC's),
 *   429 with `Retry-After`, injected per resource and verb;
 * - PATCH with `application/merge-patch+json` and `application/strategic-merge-patch+json` (applied
 *   as an RFC 7386 merge: good enough for the labels/annotations/nodeSelector patches the rebalancer
 *   sends; strategic list merging by key is not modelled) and `dryRun=All` (answer, do not store);
 * - metrics.k8s.io/v1beta1 pods and nodes lists (no watch, like metrics-server).
 *
 * Objects are stored by uid, so the recorded podlist (two items with one name and different uids)
 * is served as recorded.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export type KubeObject = Record<string, any> & { metadata: Record<string, any> };

export type Resource = 'namespaces' | 'pods' | 'nodes' | 'resourcequotas' | 'jobs' | 'cronjobs';
export type Verb = 'list' | 'watch' | 'get' | 'patch';

interface ResourceInfo {
  group: string; // '' = core
  version: string;
  kind: string;
  namespaced: boolean;
}

const RESOURCES: Record<Resource, ResourceInfo> = {
  namespaces: { group: '', version: 'v1', kind: 'Namespace', namespaced: false },
  pods: { group: '', version: 'v1', kind: 'Pod', namespaced: true },
  nodes: { group: '', version: 'v1', kind: 'Node', namespaced: false },
  resourcequotas: { group: '', version: 'v1', kind: 'ResourceQuota', namespaced: true },
  jobs: { group: 'batch', version: 'v1', kind: 'Job', namespaced: true },
  cronjobs: { group: 'batch', version: 'v1', kind: 'CronJob', namespaced: true },
};

interface WatchEvent {
  rv: number;
  resource: Resource;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KubeObject;
}

interface Watcher {
  resource: Resource;
  namespace: string | undefined;
  selector: Selector;
  bookmarks: boolean;
  res: ServerResponse;
  socket: Socket;
}

interface Fault {
  /** 'metrics': both metrics.k8s.io lists; 'pods.metrics' or 'nodes.metrics': that one only */
  resource: Resource | 'metrics' | 'pods.metrics' | 'nodes.metrics' | '*';
  verb: Verb | '*';
  status: 401 | 403 | 429 | 500;
  retryAfterSeconds: number | undefined;
  remaining: number; // Infinity = until cleared
}

export interface ContainerUsage {
  name: string;
  cpu: string;
  memory: string;
}

export interface KubeApiServerOptions {
  /** seed with the recorded payloads in test/fixtures/kubernetes */
  fixtures?: boolean;
  /** when set, every request must carry `Authorization: Bearer <token>` (401 otherwise) */
  token?: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  /** Date.now() when the request arrived */
  at: number;
}

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'kubernetes');

export function readFixture(name: string): any {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'));
}

type Selector = (labels: Record<string, string> | undefined) => boolean;

function parseSelector(sel: string | undefined): Selector {
  if (!sel) return () => true;
  const terms = sel.split(',').map((t) => t.trim()).filter(Boolean).map((t) => {
    let m: RegExpExecArray | null;
    if ((m = /^([^!=]+)!=(.*)$/.exec(t))) return (l: Record<string, string>) => l[m![1]!.trim()] !== m![2]!.trim();
    if ((m = /^([^!=]+)==?(.*)$/.exec(t))) return (l: Record<string, string>) => l[m![1]!.trim()] === m![2]!.trim();
    if (t.startsWith('!')) return (l: Record<string, string>) => !(t.slice(1) in l);
    return (l: Record<string, string>) => t in l;
  });
  return (labels) => terms.every((f) => f(labels ?? {}));
}

/** RFC 7386 JSON merge patch: objects merge recursively, null deletes, anything else replaces. */
export function mergePatch(target: any, patch: any): any {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: any = target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

const clone = <T>(v: T): T => structuredClone(v);

export class KubeApiServer {
  private readonly server: Server;
  private readonly objects = new Map<Resource, Map<string, KubeObject>>(); // uid -> object
  private readonly history: WatchEvent[] = [];
  /** the oldest resourceVersion a watch may resume from; older gets 410 Gone */
  private compactedRv = 0;
  private rv = 1000;
  private readonly watchers = new Set<Watcher>();
  private readonly faults: Fault[] = [];
  private readonly podMetrics = new Map<string, { namespace: string; name: string; containers: ContainerUsage[] }>();
  private readonly nodeMetrics = new Map<string, { cpu: string; memory: string }>();
  private readonly sockets = new Set<Socket>();
  private token: string | undefined;
  private bookmarkTimer: NodeJS.Timeout | undefined;
  readonly requests: RecordedRequest[] = [];
  url = '';

  constructor(opts: KubeApiServerOptions = {}) {
    for (const r of Object.keys(RESOURCES) as Resource[]) this.objects.set(r, new Map());
    this.token = opts.token;
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    if (opts.fixtures) this.seedFromFixtures();
  }

  /** listen on loopback; `port` 0 = a free one (pass a former port to bring a "restarted" server back) */
  async start(port = 0): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const bound = (this.server.address() as AddressInfo).port;
    this.url = `http://127.0.0.1:${bound}`;
    return this.url;
  }

  async stop(): Promise<void> {
    if (this.bookmarkTimer) clearInterval(this.bookmarkTimer);
    for (const w of this.watchers) w.res.end();
    this.watchers.clear();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** A kubeconfig document for the product's real client (plain http, bearer token when set). */
  kubeconfig(opts: { token?: string; context?: string } = {}): string {
    const ctx = opts.context ?? 'standin';
    const token = opts.token ?? this.token ?? 'standin-token';
    return [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `- name: standin`,
      `  cluster:`,
      `    server: ${this.url}`,
      // the client refuses plain http unless TLS verification is explicitly off
      '    insecure-skip-tls-verify: true',
      'users:',
      '- name: collector',
      '  user:',
      `    token: ${token}`,
      'contexts:',
      `- name: ${ctx}`,
      '  context:',
      '    cluster: standin',
      '    user: collector',
      `current-context: ${ctx}`,
      '',
    ].join('\n');
  }

  // ---- state helpers for tests -------------------------------------------------------------

  get resourceVersion(): number {
    return this.rv;
  }

  list(resource: Resource): KubeObject[] {
    return [...this.objects.get(resource)!.values()].map(clone);
  }

  find(resource: Resource, name: string, namespace?: string): KubeObject | undefined {
    for (const o of this.objects.get(resource)!.values()) {
      if (o.metadata.name === name && (namespace === undefined || o.metadata.namespace === namespace)) return o;
    }
    return undefined;
  }

  /** create or replace (by uid, else by namespace/name) and emit ADDED/MODIFIED */
  put(resource: Resource, obj: KubeObject): KubeObject {
    const o = clone(obj);
    const info = RESOURCES[resource];
    o.apiVersion = info.group ? `${info.group}/${info.version}` : info.version;
    o.kind = info.kind;
    const store = this.objects.get(resource)!;
    const existing = o.metadata.uid ? store.get(o.metadata.uid) : this.find(resource, o.metadata.name, o.metadata.namespace);
    o.metadata.uid ??= existing?.metadata.uid ?? randomUUID();
    o.metadata.creationTimestamp ??= existing?.metadata.creationTimestamp ?? new Date().toISOString();
    o.metadata.resourceVersion = String(++this.rv);
    store.set(o.metadata.uid, o);
    this.emit({ rv: this.rv, resource, type: existing ? 'MODIFIED' : 'ADDED', object: clone(o) });
    return clone(o);
  }

  modify(resource: Resource, name: string, namespace: string | undefined, fn: (o: KubeObject) => void): KubeObject {
    const cur = this.find(resource, name, namespace);
    if (!cur) throw new Error(`stand-in: no ${resource} ${namespace ?? ''}/${name}`);
    const next = clone(cur);
    fn(next);
    return this.put(resource, next);
  }

  remove(resource: Resource, name: string, namespace?: string): void {
    const cur = this.find(resource, name, namespace);
    if (!cur) throw new Error(`stand-in: no ${resource} ${namespace ?? ''}/${name}`);
    this.objects.get(resource)!.delete(cur.metadata.uid);
    const o = clone(cur);
    o.metadata.resourceVersion = String(++this.rv);
    this.emit({ rv: this.rv, resource, type: 'DELETED', object: o });
  }

  /** Forget the event history (etcd compaction): watches resuming from before now get 410 Gone. */
  compact(): void {
    this.history.length = 0;
    this.compactedRv = this.rv;
  }

  /** Cut every open watch (or those of one resource) at the TCP level, as a proxy or apiserver restart does. */
  disconnectWatches(resource?: Resource): number {
    let n = 0;
    for (const w of [...this.watchers]) {
      if (resource && w.resource !== resource) continue;
      this.watchers.delete(w);
      w.socket.destroy();
      n++;
    }
    return n;
  }

  /** End open watches cleanly (HTTP response complete), as the apiserver does when a watch's timeout expires. */
  endWatches(resource?: Resource): number {
    let n = 0;
    for (const w of [...this.watchers]) {
      if (resource && w.resource !== resource) continue;
      this.watchers.delete(w);
      w.res.end();
      n++;
    }
    return n;
  }

  /** Number of watches currently open (per resource when given). */
  openWatches(resource?: Resource): number {
    return [...this.watchers].filter((w) => !resource || w.resource === resource).length;
  }

  /** Send a BOOKMARK with the current resourceVersion to every watch that asked for bookmarks. */
  bookmark(): void {
    for (const w of this.watchers) {
      if (!w.bookmarks) continue;
      const info = RESOURCES[w.resource];
      this.write(w, { type: 'BOOKMARK', object: { kind: info.kind, apiVersion: info.group ? `${info.group}/${info.version}` : info.version, metadata: { resourceVersion: String(this.rv) } } });
    }
  }

  /** Bookmarks every `ms` (the real apiserver sends about one a minute). */
  bookmarkEvery(ms: number): void {
    if (this.bookmarkTimer) clearInterval(this.bookmarkTimer);
    this.bookmarkTimer = setInterval(() => this.bookmark(), ms);
    this.bookmarkTimer.unref();
  }

  /**
   * Make requests fail: `times` requests (default: until clearFaults) of `verb` on `resource`
   * answer `status` with a Status object (429 carries Retry-After).
   */
  fail(resource: Fault['resource'], verb: Fault['verb'], status: Fault['status'], opts: { times?: number; retryAfterSeconds?: number } = {}): void {
    this.faults.push({ resource, verb, status, retryAfterSeconds: opts.retryAfterSeconds, remaining: opts.times ?? Infinity });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  setToken(token: string | undefined): void {
    this.token = token;
  }

  setPodMetrics(namespace: string, name: string, containers: ContainerUsage[]): void {
    this.podMetrics.set(`${namespace}/${name}`, { namespace, name, containers });
  }

  deletePodMetrics(namespace: string, name: string): void {
    this.podMetrics.delete(`${namespace}/${name}`);
  }

  setNodeMetrics(name: string, usage: { cpu: string; memory: string }): void {
    this.nodeMetrics.set(name, usage);
  }

  // ---- builders for tenant scenarios ------------------------------------------------------

  addNamespace(name: string, labels: Record<string, string> = {}): KubeObject {
    return this.put('namespaces', { metadata: { name, labels }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } });
  }

  /** A node shaped like the recorded EKS node, renamed and relabelled. */
  addNode(name: string, opts: { pool?: string; poolLabel?: string; cpu?: string; memory?: string; taints?: { key: string; value?: string; effect: string }[] } = {}): KubeObject {
    const base = readFixture('nodelist-eks.json').items[0] as KubeObject;
    const poolLabel = opts.poolLabel ?? 'eks.amazonaws.com/nodegroup';
    const labels: Record<string, string> = { ...base.metadata.labels, 'kubernetes.io/hostname': name };
    delete labels['eks.amazonaws.com/nodegroup'];
    if (opts.pool !== undefined) labels[poolLabel] = opts.pool;
    const node: KubeObject = {
      ...base,
      metadata: { name, labels, annotations: {} },
      spec: { ...base.spec, taints: opts.taints ?? [] },
      status: { ...base.status, allocatable: { ...base.status.allocatable, cpu: opts.cpu ?? base.status.allocatable.cpu, memory: opts.memory ?? base.status.allocatable.memory } },
    };
    return this.put('nodes', node);
  }

  /**
   * A pod shaped like the recorded GKE Deployment pod (demo-app-success-...), placed in `namespace`
   * on `node`, with one container per entry of `containers`.
   */
  addPod(
    namespace: string,
    name: string,
    opts: {
      node?: string;
      phase?: string;
      owner?: { kind: string; name: string };
      containers?: { name: string; requests?: Record<string, string>; limits?: Record<string, string> }[];
      labels?: Record<string, string>;
    } = {},
  ): KubeObject {
    const containers = opts.containers ?? [{ name: 'odoo', requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '1', memory: '2Gi' } }];
    const owner = opts.owner ?? { kind: 'ReplicaSet', name: `${name.replace(/-[a-z0-9]{5}$/, '')}` };
    const qos = qosClass(containers);
    const pod: KubeObject = {
      metadata: {
        name,
        namespace,
        labels: opts.labels ?? { app: 'odoo' },
        ownerReferences: [{ apiVersion: owner.kind === 'Job' ? 'batch/v1' : 'apps/v1', kind: owner.kind, name: owner.name, uid: randomUUID(), controller: true, blockOwnerDeletion: true }],
      },
      spec: {
        nodeName: opts.node,
        containers: containers.map((c) => ({ name: c.name, image: 'odoo:17', resources: { requests: c.requests, limits: c.limits } })),
        restartPolicy: 'Always',
      },
      status: {
        phase: opts.phase ?? 'Running',
        qosClass: qos,
        containerStatuses: containers.map((c) => ({ name: c.name, ready: true, restartCount: 0, state: { running: { startedAt: new Date().toISOString() } }, lastState: {}, image: 'odoo:17', imageID: '', containerID: `containerd://${randomUUID()}` })),
      },
    };
    return this.put('pods', pod);
  }

  /** The kubelet's view of an OOM kill: restartCount+1, lastState.terminated.reason OOMKilled, exit 137. */
  oomKill(namespace: string, pod: string, container: string, reason = 'OOMKilled'): KubeObject {
    return this.modify('pods', pod, namespace, (p) => {
      const cs = (p.status.containerStatuses as any[]).find((c) => c.name === container);
      if (!cs) throw new Error(`stand-in: pod ${namespace}/${pod} has no container ${container}`);
      cs.restartCount = (cs.restartCount ?? 0) + 1;
      cs.lastState = { terminated: { exitCode: reason === 'OOMKilled' ? 137 : 1, reason, startedAt: new Date().toISOString(), finishedAt: new Date().toISOString(), containerID: cs.containerID } };
    });
  }

  addResourceQuota(namespace: string, name: string, hard: Record<string, string>, used: Record<string, string>): KubeObject {
    return this.put('resourcequotas', { metadata: { name, namespace }, spec: { hard }, status: { hard, used } });
  }

  /** A finished backup Job (labelled with `label`), succeeded or failed at `at`. */
  addBackupJob(namespace: string, name: string, opts: { label: string; value?: string; succeeded: boolean; at: Date; cronJob?: string }): KubeObject {
    const iso = opts.at.toISOString();
    return this.put('jobs', {
      metadata: {
        name,
        namespace,
        labels: { [opts.label]: opts.value ?? 'true' },
        ownerReferences: opts.cronJob ? [{ apiVersion: 'batch/v1', kind: 'CronJob', name: opts.cronJob, uid: randomUUID(), controller: true }] : [],
      },
      spec: { backoffLimit: 2, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'pg-dump', image: 'postgres:16' }] } } },
      status: opts.succeeded
        ? { startTime: iso, completionTime: iso, succeeded: 1, conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: iso }] }
        : { startTime: iso, failed: 3, conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', lastTransitionTime: iso }] },
    });
  }

  addBackupCronJob(namespace: string, name: string, opts: { label: string; lastSuccessfulTime?: Date; lastScheduleTime?: Date }): KubeObject {
    return this.put('cronjobs', {
      metadata: { name, namespace, labels: { [opts.label]: 'true' } },
      spec: {
        schedule: '0 2 * * *',
        jobTemplate: { metadata: { labels: { [opts.label]: 'true' } }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'pg-dump', image: 'postgres:16' }] } } } },
      },
      status: { lastSuccessfulTime: opts.lastSuccessfulTime?.toISOString(), lastScheduleTime: opts.lastScheduleTime?.toISOString() },
    });
  }

  // ---- protocol -----------------------------------------------------------------------------

  private seedFromFixtures(): void {
    for (const p of readFixture('podlist-gke.json').items as KubeObject[]) {
      if (p.metadata.namespace && !this.find('namespaces', p.metadata.namespace)) this.addNamespace(p.metadata.namespace);
      this.put('pods', p);
    }
    for (const n of readFixture('nodelist-eks.json').items as KubeObject[]) this.put('nodes', n);
    for (const m of readFixture('podmetrics.json').items as any[]) {
      this.setPodMetrics(m.metadata.namespace, m.metadata.name, (m.containers as any[]).map((c) => ({ name: c.name, cpu: c.usage.cpu, memory: c.usage.memory })));
    }
  }

  private emit(ev: WatchEvent): void {
    this.history.push(ev);
    for (const w of this.watchers) this.deliver(w, ev);
  }

  private deliver(w: Watcher, ev: WatchEvent): void {
    if (ev.resource !== w.resource) return;
    if (w.namespace && ev.object.metadata.namespace !== w.namespace) return;
    if (!w.selector(ev.object.metadata.labels)) return;
    this.write(w, { type: ev.type, object: ev.object });
  }

  private write(w: Watcher, event: unknown): void {
    if (!w.res.writableEnded) w.res.write(JSON.stringify(event) + '\n');
  }

  private status(res: ServerResponse, code: number, reason: string, message: string, details?: Record<string, unknown>, headers: Record<string, string> = {}): void {
    res.writeHead(code, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, details, code }));
  }

  private takeFault(resource: Fault['resource'], verb: Verb): Fault | undefined {
    const f = this.faults.find((x) => (x.resource === '*' || x.resource === resource) && (x.verb === '*' || x.verb === verb) && x.remaining > 0);
    if (f) f.remaining--;
    return f;
  }

  private sendFault(res: ServerResponse, f: Fault, resource: string, group: string, verb: Verb, namespace: string | undefined): void {
    const scope = namespace ? `in the namespace "${namespace}"` : 'at the cluster scope';
    if (f.status === 403) {
      return this.status(res, 403, 'Forbidden', `${resource}${group ? '.' + group : ''} is forbidden: User "system:serviceaccount:tenantscope:tenantscope" cannot ${verb} resource "${resource}" in API group "${group}" ${scope}`, { kind: resource, group });
    }
    if (f.status === 401) return this.status(res, 401, 'Unauthorized', 'Unauthorized');
    if (f.status === 429) {
      return this.status(res, 429, 'TooManyRequests', 'the server has received too many requests and has asked us to try again later', { retryAfterSeconds: f.retryAfterSeconds ?? 1 }, { 'retry-after': String(f.retryAfterSeconds ?? 1) });
    }
    return this.status(res, 500, 'InternalError', 'Internal error occurred: stand-in fault');
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const u = new URL(req.url ?? '/', 'http://x');
    const query = Object.fromEntries(u.searchParams);
    const rec: RecordedRequest = { method: req.method ?? 'GET', path: u.pathname, query, status: 0, at: Date.now() };
    this.requests.push(rec);
    res.on('finish', () => (rec.status = res.statusCode));
    res.on('close', () => (rec.status ||= res.statusCode));

    if (this.token !== undefined && req.headers.authorization !== `Bearer ${this.token}`) {
      return this.status(res, 401, 'Unauthorized', 'Unauthorized');
    }

    // metrics.k8s.io
    const mm = /^\/apis\/metrics\.k8s\.io\/v1beta1\/(?:namespaces\/([^/]+)\/)?(pods|nodes)$/.exec(u.pathname);
    if (mm) {
      const f = this.takeFault('metrics', 'list') ?? this.takeFault(`${mm[2] as 'pods' | 'nodes'}.metrics`, 'list');
      if (f) return this.sendFault(res, f, mm[2]!, 'metrics.k8s.io', 'list', mm[1]);
      return this.metricsList(res, mm[2] as 'pods' | 'nodes', mm[1]);
    }

    const m = /^\/(?:api\/v1|apis\/(batch)\/v1)(?:\/namespaces\/([^/]+))?\/([a-z]+)(?:\/([^/]+))?$/.exec(u.pathname);
    // `/api/v1/namespaces/<name>` is a get of a namespace, not a namespaced collection
    let group = m?.[1] ?? '';
    let namespace = m?.[2];
    let resource = m?.[3] as Resource | undefined;
    let name = m?.[4];
    const nsGet = /^\/api\/v1\/namespaces\/([^/]+)$/.exec(u.pathname);
    if (nsGet) {
      group = '';
      namespace = undefined;
      resource = 'namespaces';
      name = nsGet[1];
    }
    if (!resource || !(resource in RESOURCES) || RESOURCES[resource].group !== group) {
      return this.status(res, 404, 'NotFound', `the server could not find the requested resource (${req.method} ${u.pathname})`);
    }
    const watch = query.watch === 'true' || query.watch === '1';
    const verb: Verb = req.method === 'PATCH' ? 'patch' : name ? 'get' : watch ? 'watch' : 'list';
    const f = this.takeFault(resource, verb);
    if (f) return this.sendFault(res, f, resource, group, verb, namespace);

    if (req.method === 'PATCH' && name) return this.patch(req, res, resource, name, namespace, query);
    if (req.method !== 'GET') return this.status(res, 405, 'MethodNotAllowed', `${req.method} is not supported on ${u.pathname} by the stand-in`);
    if (name) {
      const o = this.find(resource, name, namespace);
      return o ? this.json(res, 200, o) : this.status(res, 404, 'NotFound', `${resource} "${name}" not found`, { name, kind: resource });
    }
    const selector = parseSelector(query.labelSelector);
    if (watch) return this.watch(req, res, resource, namespace, selector, query);
    const all = [...this.objects.get(resource)!.values()].filter((o) => (!namespace || o.metadata.namespace === namespace) && selector(o.metadata.labels));
    const info = RESOURCES[resource];
    // paging (`limit` + `continue`): the token carries the offset and the version of the first page;
    // unlike etcd this pages the current state, not a snapshot, which is enough for list callers
    let offset = 0;
    let listRv = String(this.rv);
    if (query.continue) {
      try {
        const tok = JSON.parse(Buffer.from(query.continue, 'base64url').toString('utf8')) as { offset: number; rv: string };
        offset = tok.offset;
        listRv = tok.rv;
      } catch {
        return this.status(res, 400, 'BadRequest', `invalid continue token ${JSON.stringify(query.continue)}`);
      }
      if (Number(listRv) < this.compactedRv) {
        return this.status(res, 410, 'Expired', 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.');
      }
    }
    const limit = Number(query.limit) > 0 ? Number(query.limit) : all.length;
    const items = all.slice(offset, offset + limit).map(clone);
    const more = offset + limit < all.length;
    const metadata: Record<string, string> = { resourceVersion: listRv };
    if (more) metadata.continue = Buffer.from(JSON.stringify({ offset: offset + limit, rv: listRv })).toString('base64url');
    return this.json(res, 200, { kind: `${info.kind}List`, apiVersion: info.group ? `${info.group}/${info.version}` : info.version, metadata, items });
  }

  private json(res: ServerResponse, code: number, body: unknown): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private watch(req: IncomingMessage, res: ServerResponse, resource: Resource, namespace: string | undefined, selector: Selector, query: Record<string, string>): void {
    const w: Watcher = { resource, namespace, selector, bookmarks: query.allowWatchBookmarks === 'true', res, socket: req.socket };
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    const from = query.resourceVersion;
    if (!from || from === '0') {
      // "Any" semantics: start with the current state as synthetic ADDED events
      for (const o of this.list(resource)) this.deliver(w, { rv: this.rv, resource, type: 'ADDED', object: o });
    } else {
      const rv = Number(from);
      if (!Number.isFinite(rv) || rv < this.compactedRv) {
        this.write(w, { type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `too old resource version: ${from} (${this.compactedRv})`, reason: 'Expired', code: 410 } });
        res.end();
        return;
      }
      for (const ev of this.history) if (ev.rv > rv) this.deliver(w, ev);
    }
    this.watchers.add(w);
    const drop = () => this.watchers.delete(w);
    res.on('close', drop);
    req.on('close', drop);
  }

  private patch(req: IncomingMessage, res: ServerResponse, resource: Resource, name: string, namespace: string | undefined, query: Record<string, string>): void {
    const ct = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
    if (ct !== 'application/merge-patch+json' && ct !== 'application/strategic-merge-patch+json') {
      return this.status(res, 415, 'UnsupportedMediaType', `the stand-in supports merge-patch and strategic-merge-patch, not ${JSON.stringify(ct)}`);
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let patch: unknown;
      try {
        patch = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch (err) {
        return this.status(res, 400, 'BadRequest', `error decoding patch: ${(err as Error).message}`);
      }
      const cur = this.find(resource, name, namespace);
      if (!cur) return this.status(res, 404, 'NotFound', `${resource} "${name}" not found`, { name, kind: resource });
      const next = mergePatch(clone(cur), patch) as KubeObject;
      next.metadata.uid = cur.metadata.uid;
      next.metadata.name = cur.metadata.name;
      if (cur.metadata.namespace) next.metadata.namespace = cur.metadata.namespace;
      if (query.dryRun === 'All') {
        next.metadata.resourceVersion = cur.metadata.resourceVersion;
        return this.json(res, 200, next);
      }
      return this.json(res, 200, this.put(resource, next));
    });
  }

  private metricsList(res: ServerResponse, kind: 'pods' | 'nodes', namespace: string | undefined): void {
    const now = new Date().toISOString();
    if (kind === 'pods') {
      const items = [...this.podMetrics.values()]
        .filter((p) => !namespace || p.namespace === namespace)
        .map((p) => ({
          metadata: { name: p.name, namespace: p.namespace, selfLink: `/apis/metrics.k8s.io/v1beta1/namespaces/${p.namespace}/pods/${p.name}`, creationTimestamp: now },
          timestamp: now,
          window: '30s',
          containers: p.containers.map((c) => ({ name: c.name, usage: { cpu: c.cpu, memory: c.memory } })),
        }));
      return this.json(res, 200, { kind: 'PodMetricsList', apiVersion: 'metrics.k8s.io/v1beta1', metadata: { selfLink: '/apis/metrics.k8s.io/v1beta1/pods' }, items });
    }
    const items = [...this.nodeMetrics.entries()].map(([name, u]) => ({
      metadata: { name, selfLink: `/apis/metrics.k8s.io/v1beta1/nodes/${name}`, creationTimestamp: now },
      timestamp: now,
      window: '30s',
      usage: { cpu: u.cpu, memory: u.memory },
    }));
    return this.json(res, 200, { kind: 'NodeMetricsList', apiVersion: 'metrics.k8s.io/v1beta1', metadata: { selfLink: '/apis/metrics.k8s.io/v1beta1/nodes' }, items });
  }
}

function qosClass(containers: { requests?: Record<string, string>; limits?: Record<string, string> }[]): string {
  const any = containers.some((c) => Object.keys(c.requests ?? {}).length || Object.keys(c.limits ?? {}).length);
  if (!any) return 'BestEffort';
  const guaranteed = containers.every((c) => ['cpu', 'memory'].every((r) => c.limits?.[r] !== undefined && (c.requests?.[r] ?? c.limits[r]) === c.limits[r]));
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

export async function startKubeApiServer(opts: KubeApiServerOptions & { port?: number } = {}): Promise<KubeApiServer> {
  const s = new KubeApiServer(opts);
  await s.start(opts.port);
  return s;
}
