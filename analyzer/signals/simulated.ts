/**
 * The simulated fleet as a SignalSource, computed straight from its model (no registry, no
 * sampling): what the evaluation and tests read, and what a demo can backfill history from. The
 * values are the same physics the simulated collector exports.
 */
import type { FleetModel, FleetSample } from '../../collector/simulated/index.js';
import { grid, RESOURCE_SERIES, type Series, type SignalName, type SignalQuery, type SignalRange, type SignalSource } from './types.js';

type Extract = { signal: SignalName; sub: string; tenantScoped: boolean; resource: (tenantIndex: number) => string; value: (s: FleetSample, i: number) => number };

export function createSimulatedSignalSource(model: FleetModel, opts: { name?: string } = {}): SignalSource & { sampleCache: Map<number, FleetSample> } {
  const { topology, capacities } = model;
  const pg = () => topology.pgCluster;
  const rd = () => topology.redisInstance;
  const ig = () => topology.ingress;
  const nodeOf = (i: number) => topology.tenants[i]!.node;
  const T = (signal: SignalName, resource: (i: number) => string, value: Extract['value'], sub = ''): Extract => ({ signal, sub, tenantScoped: true, resource, value });
  const extracts: Extract[] = [
    T('ingress.request_rate', ig, (s, i) => s.tenants[i]!.rps),
    T('ingress.error_ratio', ig, (s, i) => s.tenants[i]!.errorRatio),
    T('ingress.p95_latency_seconds', ig, (s, i) => s.tenants[i]!.p95LatencySeconds),
    T('postgres.tps', pg, (s, i) => s.tenants[i]!.tps),
    T('postgres.mean_query_seconds', pg, (s, i) => s.tenants[i]!.meanQuerySeconds),
    // every active session runs a statement: the time they run is the model's active load
    T('postgres.exec_seconds_rate', pg, (s, i) => {
      const x = s.tenants[i]!;
      return x.loadCpu + x.loadIo + x.loadLwlock + x.loadLock;
    }),
    T('postgres.load_sessions', pg, (s, i) => s.tenants[i]!.loadCpu, 'CPU'),
    T('postgres.load_sessions', pg, (s, i) => s.tenants[i]!.loadIo, 'IO'),
    T('postgres.load_sessions', pg, (s, i) => s.tenants[i]!.loadLwlock, 'LWLock'),
    T('postgres.load_sessions', pg, (s, i) => s.tenants[i]!.loadLock, 'Lock'),
    T('postgres.connections', pg, (s, i) => Math.round(s.tenants[i]!.connectionsActive) + Math.round(s.tenants[i]!.connectionsIdle)),
    T('postgres.blks_read_rate', pg, (s, i) => s.tenants[i]!.blksReadPerSecond),
    T('postgres.session_rate', pg, (s, i) => s.tenants[i]!.sessionRate),
    T('postgres.lock_waiting_sessions', pg, (s, i) => s.tenants[i]!.lockWaitingSessions),
    T('redis.command_seconds_rate', rd, (s, i) => s.tenants[i]!.redisCommandSecondsPerSecond),
    T('redis.memory_bytes', rd, (s, i) => s.tenants[i]!.redisMemoryBytes),
    T('node.cpu_cores', nodeOf, (s, i) => s.tenants[i]!.cpuCores),
    T('node.memory_bytes', nodeOf, (s, i) => s.tenants[i]!.memoryBytes),
  ];
  const resourceSeries: { signal: SignalName; resource: string; value: (s: FleetSample) => number }[] = [
    { signal: 'postgres.max_connections', resource: topology.pgCluster, value: () => capacities.maxConnections },
    { signal: 'redis.canary_p99_seconds', resource: topology.redisInstance, value: (s) => s.redis.canaryP99Seconds },
    { signal: 'redis.max_memory_bytes', resource: topology.redisInstance, value: () => capacities.redisMaxMemoryBytes },
    ...topology.nodes.flatMap((n) => [
      { signal: 'node.cpu_allocatable_cores' as const, resource: n.name, value: () => n.cpuCores },
      { signal: 'node.memory_allocatable_bytes' as const, resource: n.name, value: () => n.memoryBytes },
    ]),
  ];
  // samples are pure in t: a small cache lets overlapping windows (the evaluation's growing windows) reuse them
  const sampleCache = new Map<number, FleetSample>();
  const at = (t: number, stepMs: number) => {
    let s = sampleCache.get(t);
    if (!s) {
      s = model.sample(t, stepMs);
      if (sampleCache.size > 20_000) sampleCache.clear();
      sampleCache.set(t, s);
    }
    return s;
  };
  return {
    name: opts.name ?? 'simulated',
    sampleCache,
    async range(q: SignalQuery, fromMs: number, toMs: number, stepMs: number): Promise<SignalRange> {
      const { startMs, points } = grid(fromMs, toMs, stepMs);
      const want = new Set(q.signals);
      const tenantFilter = q.tenants ? new Set(q.tenants) : undefined;
      const samples = Array.from({ length: points }, (_, j) => at(startMs + j * stepMs, stepMs));
      const series: Series[] = [];
      for (const e of extracts) {
        if (!want.has(e.signal)) continue;
        for (const t of topology.tenants) {
          if (tenantFilter && !tenantFilter.has(t.id)) continue;
          const values = new Float64Array(points);
          for (let j = 0; j < points; j++) values[j] = e.value(samples[j]!, t.index);
          series.push({ signal: e.signal, tenant: t.id, resource: e.resource(t.index), sub: e.sub, values });
        }
      }
      for (const r of resourceSeries) {
        if (!want.has(r.signal)) continue;
        const values = new Float64Array(points);
        for (let j = 0; j < points; j++) values[j] = r.value(samples[j]!);
        series.push({ signal: r.signal, tenant: RESOURCE_SERIES, resource: r.resource, sub: '', values });
      }
      return { startMs, stepMs, points, series, warnings: [] };
    },
  };
}
