/**
 * The Kubernetes collector: one list+watch per resource (namespaces, pods, nodes, resourcequotas,
 * and backup Jobs/CronJobs selected by `backupLabel`) kept current by the API's event stream, plus a
 * periodic GET of metrics.k8s.io (which has no watch). Each tick turns the stores into the tenant
 * view (view.ts) and writes the tenantscope_k8s_* families; nothing is listed per scrape.
 *
 * @kubernetes/client-node stays inside this folder.
 */
// types only: the client (tens of MiB of RSS once imported: bench/RESULTS.md) is loaded when the collector starts,
// so a config without sources.kubernetes never pays for it
import type { BatchV1Api, CoreV1Api, KubeConfig, Metrics, KubernetesObject } from '@kubernetes/client-node';
import type { Gauge } from 'prom-client';
import { expandHome, type KubernetesSourceConfig } from '../../config/index.js';
import { SourceError, describeError } from '../../lib/errors.js';
import { createLoop, type Loop } from '../../lib/loop.js';
import { observedIncrement, SeriesWriter, StaleSeries } from '../series.js';
import type { Collector, CollectorDeps } from '../types.js';
import { WATCHED_RESOURCES, type MetricsResource, type WatchedResource } from './access.js';
import { kubernetesMetricsFor, type KubernetesMetrics } from './metrics.js';
import { Reflector, apiError, statusOf, type ListPage } from './reflector.js';
import { buildView, type NodeUsage, type PodUsage, type Samples, type TenantView } from './view.js';
import { SLIM, slimNodeUsage, slimPodUsage } from './slim.js';

const SOURCE = 'kubernetes source';

/** no rows: written to a family, removes every series it holds */
const NO_ROWS: Parameters<SeriesWriter['write']>[1] = new Map();

/** client-node's classes through ./client.js: in the build, a bundle of only what the collector reaches */
export type Client = typeof import('./client.js');

export interface KubernetesCollectorOptions {
  /** first retry delay after a failed list/watch (doubles up to backoffMaxMs) */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** objects per list page (`limit`); pages keep the memory peak of the first list of a big cluster low */
  pageSize?: number;
  /** reuse families already registered (the composition root may create them once) */
  metrics?: KubernetesMetrics;
  /** where client-node's classes come from (default ./client.js; a test passes the built bundle) */
  loadClient?: () => Promise<Client>;
}

export interface KubernetesCollector extends Collector {
  /** resolves once every watch has listed at least once (or rejects after timeoutMs naming the ones that have not) */
  whenSynced(timeoutMs?: number): Promise<void>;
  /** per-resource state, for /healthz and tests */
  status(): { resource: WatchedResource; synced: boolean; healthy: boolean; objects: number; relists: number; resourceVersion: string; error: string | undefined }[];
  /** the current error of the metrics.k8s.io pods list, else of its nodes list; undefined when both were read */
  metricsApiError(): SourceError | undefined;
}

function loadKubeConfig(client: Client, source: KubernetesSourceConfig): { kc: KubeConfig; hint: string } {
  const kc = new client.KubeConfig();
  let hint: string;
  try {
    if (source.inCluster) {
      kc.loadFromCluster();
      hint = 'the pod service account (inCluster)';
    } else if (source.kubeconfig) {
      const file = expandHome(source.kubeconfig);
      kc.loadFromFile(file);
      hint = `kubeconfig ${file}`;
    } else {
      kc.loadFromDefault();
      hint = 'the default kubeconfig ($KUBECONFIG or ~/.kube/config)';
    }
  } catch (err) {
    throw new SourceError(SOURCE, 'load kubeconfig', `${describeError(err)} — set sources.kubernetes.kubeconfig to a readable kubeconfig, or inCluster: true inside a pod`, { cause: err });
  }
  if (source.context) {
    if (!kc.getContextObject(source.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new SourceError(SOURCE, 'load kubeconfig', `context ${JSON.stringify(source.context)} is not in ${hint} (contexts: ${known.join(', ') || 'none'}) — fix sources.kubernetes.context`);
    }
    kc.setCurrentContext(source.context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new SourceError(SOURCE, 'load kubeconfig', `${hint} has no current cluster — set current-context or sources.kubernetes.context`);
  return { kc, hint: `${hint}, context ${kc.getCurrentContext()} (server ${cluster.server})` };
}

type Lister = (core: CoreV1Api, batch: BatchV1Api, p: { labelSelector?: string | undefined; continueToken?: string | undefined; limit: number }) => Promise<ListPage<KubernetesObject>>;

const LISTERS: Record<WatchedResource, { path: string; list: Lister; backup?: true }> = {
  namespaces: { path: '/api/v1/namespaces', list: (c, _b, p) => c.listNamespace({ labelSelector: p.labelSelector, _continue: p.continueToken, limit: p.limit }) },
  pods: { path: '/api/v1/pods', list: (c, _b, p) => c.listPodForAllNamespaces({ labelSelector: p.labelSelector, _continue: p.continueToken, limit: p.limit }) },
  nodes: { path: '/api/v1/nodes', list: (c, _b, p) => c.listNode({ labelSelector: p.labelSelector, _continue: p.continueToken, limit: p.limit }) },
  resourcequotas: { path: '/api/v1/resourcequotas', list: (c, _b, p) => c.listResourceQuotaForAllNamespaces({ labelSelector: p.labelSelector, _continue: p.continueToken, limit: p.limit }) },
  jobs: { path: '/apis/batch/v1/jobs', backup: true, list: (_c, b, p) => b.listJobForAllNamespaces({ labelSelector: p.labelSelector, _continue: p.continueToken, limit: p.limit }) },
  cronjobs: { path: '/apis/batch/v1/cronjobs', backup: true, list: (_c, b, p) => b.listCronJobForAllNamespaces({ labelSelector: p.labelSelector, _continue: p.continueToken, limit: p.limit }) },
};

/** a pod's containers' last restart counts, by name (NaN: none seen yet) */
interface PodRestarts {
  names: string[];
  counts: number[];
  /**
   * the pod listed no status in the baseline view: its containers' first counts, whenever they
   * come, are baselines too (restarts from before the collector started are not counted)
   */
  fromBaseline?: boolean;
  /**
   * the restart series (tenant, namespace, reason) its containers wrote at the last tick it listed
   * statuses: kept through a tick without them, or the sweep would remove a series only this pod
   * writes, and a kill in the gap would then start a new series that increase() reads from 0
   */
  series?: { tenant: string; namespace: string; reason: string }[];
}

/** the tenant (pods) or node half of the usage families, read from its own metrics.k8s.io list */
interface UsageHalf {
  resource: MetricsResource;
  /** when its series were last written (a good read); undefined before one, or once they were removed as stale */
  atMs: number | undefined;
  /** its series were removed as stale and not written since */
  removed: boolean;
  /** the last read's error; undefined after a good read */
  error: SourceError | undefined;
}

export function createKubernetesCollector(source: KubernetesSourceConfig, deps: CollectorDeps, opts: KubernetesCollectorOptions = {}): KubernetesCollector {
  const { logger, resolver } = deps;
  const m = opts.metrics ?? kubernetesMetricsFor(deps.registry);
  const gauges = new SeriesWriter();
  const stale = new StaleSeries();
  /**
   * each pod's containers' restart counts at the last tick, by pod (uid) and container name: two
   * small arrays per pod (names shared with the watched objects), not a key string per container
   */
  let restartCounts = new Map<string, PodRestarts>();
  let restartBaseline = false;
  const podUsageHalf: UsageHalf = { resource: 'pods.metrics.k8s.io', atMs: undefined, removed: false, error: undefined };
  const nodeUsageHalf: UsageHalf = { resource: 'nodes.metrics.k8s.io', atMs: undefined, removed: false, error: undefined };
  const reflectors = new Map<WatchedResource, Reflector<KubernetesObject>>();
  let metricsClient: Metrics | undefined;
  let hint = '';
  let loop: Loop | undefined;
  // set by namespace events, cleared by learnNamespaces (which a microtask runs right after a burst)
  let namespacesDirty = false;
  const denied = new Set<string>();

  const learnNamespaces = () => {
    const ns = reflectors.get('namespaces');
    if (!ns?.synced) return;
    namespacesDirty = false;
    resolver.learnNamespaces([...ns.values()].map((n) => ({ name: n.metadata?.name ?? '', labels: n.metadata?.labels })));
  };

  const setup = async () => {
    if (reflectors.size) return;
    const client = await (opts.loadClient ?? (() => import('./client.js')))();
    // a concurrent start() and collect() both awaited the import: the first one builds
    if (reflectors.size) return;
    const loaded = loadKubeConfig(client, source);
    hint = loaded.hint;
    const core = loaded.kc.makeApiClient(client.CoreV1Api);
    const batch = loaded.kc.makeApiClient(client.BatchV1Api);
    const watch = new client.Watch(loaded.kc);
    metricsClient = new client.Metrics(loaded.kc);
    for (const resource of WATCHED_RESOURCES) {
      const l = LISTERS[resource];
      reflectors.set(
        resource,
        new Reflector<KubernetesObject>({
          source: SOURCE,
          resource,
          path: l.path,
          list: (p) => l.list(core, batch, p),
          watch,
          labelSelector: l.backup ? source.backupLabel : undefined,
          transform: SLIM[resource],
          logger,
          credentialsHint: hint,
          backoffBaseMs: opts.backoffBaseMs,
          backoffMaxMs: opts.backoffMaxMs,
          pageSize: opts.pageSize,
          hooks: {
            onChange:
              resource === 'namespaces'
                ? () => {
                    // learn at once so Traefik names resolve before the next tick; coalesce bursts of events
                    if (namespacesDirty) return;
                    namespacesDirty = true;
                    queueMicrotask(learnNamespaces);
                  }
                : undefined,
            onRelist: (reason) => m.relists.inc({ resource, reason }),
            onError: (verb, status) => {
              m.apiErrors.inc({ resource, verb, code: String(status) });
              if (status === 401 || status === 403) {
                denied.add(`${resource}\u0000${verb}`);
                m.apiDenied.set({ resource, verb }, 1);
              }
            },
          },
        }),
      );
    }
  };

  /**
   * One metrics.k8s.io list (pods or nodes) this tick; undefined when the read failed. Each list is
   * read on its own, so a denial or failure of one (a ClusterRole granting pods.metrics.k8s.io only)
   * does not hold back the families of the other. The items are not kept past the tick (at 10,000
   * pods, a few MiB for the process' life): after a failed read the view has no usage of that half,
   * and write() leaves its series as they were, so they do not blink — until usageStaleAfterMs.
   */
  const readMetricsList = async <T>(half: UsageHalf, read: () => Promise<{ items: T[] }>): Promise<T[] | undefined> => {
    try {
      const { items } = await read();
      half.error = undefined;
      return items;
    } catch (err) {
      const status = statusOf(err);
      m.apiErrors.inc({ resource: half.resource, verb: 'list', code: String(status) });
      const typed = apiError(SOURCE, half.resource, 'list', err, hint);
      // one warning per kind of failure, not one per tick while it lasts
      if (typed.message !== half.error?.message) logger.warn(typed.message, { resource: half.resource, status });
      half.error = typed;
      return undefined;
    }
  };
  const readUsage = async (): Promise<{ pods: PodUsage[] | undefined; nodes: NodeUsage[] | undefined }> => {
    const client = metricsClient;
    if (!client) return { pods: undefined, nodes: undefined };
    const pods = await readMetricsList(podUsageHalf, () => client.getPodMetrics());
    const nodes = await readMetricsList(nodeUsageHalf, () => client.getNodeMetrics());
    m.metricsApiUp.set(pods && nodes ? 1 : 0);
    return { pods: pods?.map(slimPodUsage), nodes: nodes?.map(slimNodeUsage) };
  };

  /**
   * Writes one half of the usage families when its list was read; otherwise keeps its series as they
   * were until they are older than usageStaleAfterMs (never less than two intervals: one failed poll
   * must not make them blink), then removes them: no data is unknown, an old value would read as
   * today's. They return with the next good read.
   */
  const writeUsageHalf = (half: UsageHalf, families: readonly Gauge[], samples: readonly Samples[] | undefined): void => {
    const now = deps.clock.now();
    if (samples) {
      families.forEach((g, i) => gauges.write(g, samples[i]!.rows));
      if (half.removed) logger.info(`usage series back: ${half.resource} read again`, { resource: half.resource });
      half.removed = false;
      half.atMs = now;
      return;
    }
    if (half.atMs === undefined) return;
    // a clock stepped back does not stretch the wait
    if (now < half.atMs) half.atMs = now;
    if (now - half.atMs < Math.max(source.usageStaleAfterMs, 2 * source.metricsIntervalMs)) return;
    for (const g of families) gauges.write(g, NO_ROWS);
    logger.warn(
      `usage series removed: no ${half.resource} read has succeeded for ${Math.round((now - half.atMs) / 1000)} s (sources.kubernetes.usageStaleAfterMs = ${source.usageStaleAfterMs}, at least two metricsIntervalMs); last error: ${half.error?.message ?? 'unknown'} — check metrics-server and its APIService v1beta1.metrics.k8s.io; the series return with the next good read`,
      { resource: half.resource },
    );
    half.removed = true;
    half.atMs = undefined;
  };

  const write = (view: TenantView) => {
    const put = (gauge: Gauge, samples: Samples | undefined) => {
      if (samples) gauges.write(gauge, samples.rows);
    };
    // families whose input is not synced are kept as they were (neither written nor swept)
    if (view.pods) {
      const p = view.pods;
      put(m.tenantPods, p.running);
      put(m.tenantCpuRequestCores, p.cpuRequest);
      put(m.tenantMemoryRequestBytes, p.memoryRequest);
      put(m.tenantCpuLimitCores, p.cpuLimit);
      put(m.tenantMemoryLimitBytes, p.memoryLimit);
      put(m.tenantPodPhase, p.phase);
      put(m.tenantPodQos, p.qos);
      put(m.workloadPods, p.workloads);
      put(m.oomKilledContainers, p.oomKilled);
      put(m.nodeTenants, p.nodeTenants);
      // pods not in this view are forgotten: a pod seen again later starts from zero
      const counts = new Map<string, PodRestarts>();
      /** pods listed for the first time since a baseline view that had no status of theirs */
      const lateListed: PodRestarts[] = [];
      for (const c of p.containers) {
        let last = counts.get(c.pod);
        if (last === undefined) {
          counts.set(c.pod, (last = restartCounts.get(c.pod) ?? { names: [], counts: [] }));
          last.series = undefined; // written anew below, from this tick's statuses
        }
        // by name: a container's place can move (init containers' statuses are not always listed)
        let at = last.names.indexOf(c.container);
        if (at < 0) {
          at = last.names.length;
          last.names.push(c.container);
          last.counts.push(Number.NaN); // no count yet
        }
        // The first synced view is the baseline: restarts from before the collector started are not
        // counted again (a collector restart would otherwise replay every old OOM kill into
        // increase()). After it, a container first seen with restarts (a new pod) counts them all.
        // Restarts between two ticks are attributed to the latest termination reason.
        const known = last.counts[at]!;
        if (last.fromBaseline) lateListed.push(last);
        const d = observedIncrement(Number.isNaN(known) ? (restartBaseline && !last.fromBaseline ? 0 : undefined) : known, c.restarts);
        if (Number.isFinite(c.restarts)) last.counts[at] = c.restarts;
        if (c.restarts > 0) {
          const labels = { tenant: c.tenant, namespace: c.namespace, reason: c.reason };
          m.restarts.inc(labels, d);
          stale.touch(m.restarts, labels);
          (last.series ??= []).push(labels);
        }
      }
      for (const r of lateListed) r.fromBaseline = false;
      // a pod that lists no status this time keeps its counts (forgotten, its restarts would all
      // count again when its statuses come back) and its restart series; one without a status in
      // the baseline view is remembered as such, so its first counts are baselines too
      for (const uid of p.unlisted) {
        const last = restartCounts.get(uid);
        if (last !== undefined) {
          if (!counts.has(uid)) counts.set(uid, last);
          for (const labels of last.series ?? []) stale.touch(m.restarts, labels);
        } else if (!restartBaseline) counts.set(uid, { names: [], counts: [], fromBaseline: true });
      }
      restartCounts = counts;
      restartBaseline = true;
    }
    if (view.nodes) {
      put(m.nodeInfo, view.nodes.info);
      put(m.nodeTaint, view.nodes.taints);
      put(m.nodeAllocatableCpuCores, view.nodes.cpu);
      put(m.nodeAllocatableMemoryBytes, view.nodes.memory);
    }
    if (view.quotas) put(m.tenantQuota, view.quotas);
    if (view.backups) {
      put(m.backupLastSuccess, view.backups.lastSuccess);
      put(m.backupFailedRuns, view.backups.failedRuns);
      put(m.backupLastFailure, view.backups.lastFailure);
    }
    const u = view.usage;
    writeUsageHalf(podUsageHalf, [m.tenantCpuCores, m.tenantMemoryBytes], u?.tenantCpu && u.tenantMemory ? [u.tenantCpu, u.tenantMemory] : undefined);
    writeUsageHalf(nodeUsageHalf, [m.nodeCpuCores, m.nodeMemoryBytes], u?.nodeCpu && u.nodeMemory ? [u.nodeCpu, u.nodeMemory] : undefined);
    // the restarts counter is inc()'d per container, not set from a view row: swept by label set.
    // It is the only metric `stale` tracks (the gauges go through SeriesWriter), so the sweep is
    // scoped by whether pods are synced: unsynced, its series are kept as they were.
    stale.sweep(() => view.pods !== undefined);
  };

  const collect = async (): Promise<void> => {
    await setup();
    if (namespacesDirty) learnNamespaces();
    const usage = await readUsage();
    const synced = (r: WatchedResource) => {
      const x = reflectors.get(r);
      return x?.synced ? x.values() : undefined;
    };
    // Usage joins the watched pods and nodes: none before they are listed (it would carry no node),
    // and an empty list while pods or nodes exist (a metrics-server that has just restarted) is no
    // read: the series keep their last values rather than blink
    const usable = <T>(items: T[] | undefined, r: WatchedResource): T[] | undefined => {
      const x = reflectors.get(r);
      if (!items || !x?.synced) return undefined;
      return items.length > 0 || x.size === 0 ? items : undefined;
    };
    const view = buildView({
      resolver,
      nodePoolLabels: source.nodePoolLabels,
      namespaces: synced('namespaces'),
      pods: synced('pods'),
      nodes: synced('nodes'),
      quotas: synced('resourcequotas'),
      jobs: synced('jobs'),
      cronjobs: synced('cronjobs'),
      podUsage: usable(usage.pods, 'pods'),
      nodeUsage: usable(usage.nodes, 'nodes'),
      onInvalidQuantity: (field) => m.invalidQuantities.inc({ field }),
    });
    write(view);
    let allHealthy = true;
    for (const [resource, r] of reflectors) {
      m.watchUp.set({ resource }, r.healthy ? 1 : 0);
      m.objects.set({ resource }, r.size);
      if (!r.healthy) allHealthy = false;
      if (r.lastError === undefined) {
        for (const verb of ['list', 'watch']) {
          if (denied.delete(`${resource}\u0000${verb}`)) m.apiDenied.remove({ resource, verb });
        }
      }
    }
    m.up.set(allHealthy ? 1 : 0);
  };

  return {
    name: 'kubernetes',
    health: () => {
      const bad = [...reflectors.entries()].filter(([, r]) => !r.healthy);
      return bad.length ? { ok: false, detail: bad.map(([res, r]) => `${res}: ${r.lastError?.message ?? 'not synced'}`).join('; ') } : { ok: true };
    },
    async start() {
      await setup();
      for (const r of reflectors.values()) r.start();
      loop ??= createLoop({ name: 'kubernetes collector', intervalMs: source.metricsIntervalMs, tick: collect, logger, immediate: true });
      loop.start();
    },
    collect,
    async stop() {
      await loop?.stop();
      await Promise.all([...reflectors.values()].map((r) => r.stop()));
    },
    async whenSynced(timeoutMs = 30_000) {
      const start = Date.now();
      for (;;) {
        const pending = [...reflectors.values()].filter((r) => !r.synced);
        if (reflectors.size && pending.length === 0) return;
        if (Date.now() - start > timeoutMs) {
          const why = pending.map((r) => `${r.resource}${r.lastError ? ` (${r.lastError.message})` : ''}`).join('; ');
          throw new SourceError(SOURCE, 'sync', `not synced after ${timeoutMs} ms: ${why || 'collector not started'}`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    status() {
      return [...reflectors.entries()].map(([resource, r]) => ({ resource, synced: r.synced, healthy: r.healthy, objects: r.size, relists: r.relists, resourceVersion: r.version, error: r.lastError?.message }));
    },
    metricsApiError: () => podUsageHalf.error ?? nodeUsageHalf.error,
  };
}
