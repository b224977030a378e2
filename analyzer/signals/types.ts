/**
 * The one interface the analyzer reads: named, per-tenant signals on an aligned time grid.
 * Whatever feeds it (the embedded store sampling the registry, a Prometheus-compatible API, a
 * replay file, the simulator directly), the analyzer sees the same shapes. A missing sample is NaN
 * and means "unknown" — never zero, never healthy.
 */

import { UNATTRIBUTED_TENANT } from '../../tenancy/index.js';

export type ResourceKind = 'node' | 'postgres' | 'redis' | 'ingress';

export interface SignalSpec {
  readonly resourceKind: ResourceKind;
  /** the label that names the resource in tenantscope_* metrics */
  readonly resourceLabel: 'node' | 'pg_cluster' | 'redis_instance' | 'ingress';
  /** per tenant, or one series per resource (capacities, the Redis canary) */
  readonly scope: 'tenant' | 'resource';
  /** what the analyzer uses it for: a harm felt (victim), a use of capacity (usage), a capacity, a volume */
  readonly role: 'victim' | 'usage' | 'capacity' | 'volume';
  readonly unit: string;
  /** the label a signal is split by, e.g. wait_event_type */
  readonly sub?: string;
  /**
   * true when the collectors' `_unattributed` series (a database or key space shared by several
   * tenants) is no tenant's own usage and must not compete with theirs: every source leaves it out
   */
  readonly perTenantOnly?: boolean;
}

export const SIGNALS = {
  'ingress.request_rate': { resourceKind: 'ingress', resourceLabel: 'ingress', scope: 'tenant', role: 'volume', unit: 'requests/s' },
  'ingress.error_ratio': { resourceKind: 'ingress', resourceLabel: 'ingress', scope: 'tenant', role: 'victim', unit: 'ratio' },
  'ingress.p95_latency_seconds': { resourceKind: 'ingress', resourceLabel: 'ingress', scope: 'tenant', role: 'victim', unit: 'seconds' },
  'postgres.tps': { resourceKind: 'postgres', resourceLabel: 'pg_cluster', scope: 'tenant', role: 'volume', unit: 'transactions/s' },
  'postgres.mean_query_seconds': { resourceKind: 'postgres', resourceLabel: 'pg_cluster', scope: 'tenant', role: 'victim', unit: 'seconds' },
  'postgres.load_sessions': { resourceKind: 'postgres', resourceLabel: 'pg_cluster', scope: 'tenant', role: 'usage', unit: 'sessions', sub: 'wait_event_type' },
  // statement execution time per second (pg_stat_statements): by Little's law the mean number of sessions
  // running the tenant's statements, exact where load_sessions is sampled; a statement's time lands when it ends
  'postgres.exec_seconds_rate': { resourceKind: 'postgres', resourceLabel: 'pg_cluster', scope: 'tenant', role: 'usage', unit: 'seconds/s' },
  'postgres.connections': { resourceKind: 'postgres', resourceLabel: 'pg_cluster', scope: 'tenant', role: 'usage', unit: 'connections' },
  // counted per database: a shared database's churn is no one tenant's
  'postgres.session_rate': { resourceKind: 'postgres', resourceLabel: 'pg_cluster', scope: 'tenant', role: 'usage', unit: 'sessions/s', perTenantOnly: true },
  'postgres.blks_read_rate': { resourceKind: 'postgres', resourceLabel: 'pg_cluster', scope: 'tenant', role: 'usage', unit: 'blocks/s' },
  'postgres.lock_waiting_sessions': { resourceKind: 'postgres', resourceLabel: 'pg_cluster', scope: 'tenant', role: 'usage', unit: 'sessions' },
  'postgres.max_connections': { resourceKind: 'postgres', resourceLabel: 'pg_cluster', scope: 'resource', role: 'capacity', unit: 'connections' },
  'redis.canary_p99_seconds': { resourceKind: 'redis', resourceLabel: 'redis_instance', scope: 'resource', role: 'victim', unit: 'seconds' },
  'redis.command_seconds_rate': { resourceKind: 'redis', resourceLabel: 'redis_instance', scope: 'tenant', role: 'usage', unit: 'seconds/s' },
  'redis.memory_bytes': { resourceKind: 'redis', resourceLabel: 'redis_instance', scope: 'tenant', role: 'usage', unit: 'bytes' },
  'redis.max_memory_bytes': { resourceKind: 'redis', resourceLabel: 'redis_instance', scope: 'resource', role: 'capacity', unit: 'bytes' },
  'node.cpu_cores': { resourceKind: 'node', resourceLabel: 'node', scope: 'tenant', role: 'usage', unit: 'cores' },
  'node.memory_bytes': { resourceKind: 'node', resourceLabel: 'node', scope: 'tenant', role: 'usage', unit: 'bytes' },
  'node.cpu_allocatable_cores': { resourceKind: 'node', resourceLabel: 'node', scope: 'resource', role: 'capacity', unit: 'cores' },
  'node.memory_allocatable_bytes': { resourceKind: 'node', resourceLabel: 'node', scope: 'resource', role: 'capacity', unit: 'bytes' },
} as const satisfies Record<string, SignalSpec>;

export type SignalName = keyof typeof SIGNALS;
export const SIGNAL_NAMES = Object.keys(SIGNALS) as SignalName[];

/**
 * whether a tenant's series of this signal is one the analyzer reads: for a per-tenant-only signal
 * (SignalSpec.perTenantOnly) the collectors' `_unattributed` series is no tenant's usage, and every
 * source (the embedded sampler, the query API, a replay file) leaves it out through this one test
 */
export function readsSeries(signal: SignalName, tenant: string): boolean {
  return tenant !== UNATTRIBUTED_TENANT || !(SIGNALS[signal] as SignalSpec).perTenantOnly;
}

export function isSignalName(s: string): s is SignalName {
  return Object.hasOwn(SIGNALS, s);
}

/**
 * The Redis families whose series say a tenant is on an instance (its memory, connections or keys):
 * such a tenant without a slow-command counter spent a known 0 s/s in slow commands. Both signal
 * sources (registry-sampler.ts, prometheus.ts) read presence from these.
 */
export const REDIS_TENANT_PRESENCE = ['tenantscope_redis_tenant_memory_bytes', 'tenantscope_redis_tenant_clients', 'tenantscope_redis_tenant_keys'] as const;

/** the tenant field of resource-scoped series (capacities, the canary) */
export const RESOURCE_SERIES = '';

export interface SeriesKey {
  readonly signal: SignalName;
  /** tenant id, or RESOURCE_SERIES for resource-scoped signals */
  readonly tenant: string;
  /** node name, pg cluster, redis instance or ingress */
  readonly resource: string;
  /** value of the split label (wait_event_type), '' when none */
  readonly sub: string;
}

export interface Series extends SeriesKey {
  /** NaN = unknown at that point of the grid */
  readonly values: Float64Array;
  /** its seriesKey(), when the source keeps one (the embedded store, the live window): not rebuilt per read */
  readonly key?: string;
}

export interface SignalRange {
  /** first grid point (ms), a multiple of stepMs */
  readonly startMs: number;
  readonly stepMs: number;
  /** number of grid points; every series has exactly this many values */
  readonly points: number;
  readonly series: readonly Series[];
  /** partial data, errors of some queries, dropped samples: reported, not thrown */
  readonly warnings: readonly string[];
}

export interface SignalQuery {
  readonly signals: readonly SignalName[];
  /** restrict to these tenants (resource-scoped series are always included) */
  readonly tenants?: readonly string[];
}

/** What the analyzer reads. */
export interface SignalSource {
  readonly name: string;
  range(query: SignalQuery, fromMs: number, toMs: number, stepMs: number): Promise<SignalRange>;
  /**
   * An in-memory source's cheap re-read, for the live loop's window: optional (the embedded store has
   * it; a query API has not). `generation()` changes whenever the set of series range() would return
   * for some window may have changed other than by new points: a series came or went, or one came back
   * after a gap.
   */
  generation?(): number;
  /**
   * Moves a range this source's range() returned forward by `shift` points, in place: the points that
   * stay keep what they hold up to `from`, and points [from, points) are read anew, as range() would
   * read them. Only when nothing changed since `generation` and the grid is one the source serves
   * directly; else returns undefined, having changed nothing (read anew with range()).
   */
  advance?(range: SignalRange, shift: number, from: number, generation: number): SignalRange | undefined;
}

/** the one key of a series (the store's rings, the analyzer's baselines and windows) */
export function seriesKey(k: { signal: string; tenant: string; resource: string; sub: string }): string {
  return `${k.signal}\u0001${k.tenant}\u0001${k.resource}\u0001${k.sub}`;
}

/** a series' seriesKey(): the one it carries, else built */
export function keyOf(s: SeriesKey & { readonly key?: string }): string {
  return s.key ?? seriesKey(s);
}

/** the tenant of a seriesKey() */
export function tenantOfSeriesKey(key: string): string {
  return key.split('\u0001', 2)[1]!;
}

/** the grid of a range: first point at or after fromMs on multiples of stepMs, last at or before toMs */
export function grid(fromMs: number, toMs: number, stepMs: number): { startMs: number; points: number } {
  if (!(stepMs > 0) || !Number.isFinite(fromMs) || !Number.isFinite(toMs)) {
    throw new RangeError(`signal range: from=${fromMs} to=${toMs} step=${stepMs}ms is invalid — step must be > 0 and times finite`);
  }
  const startMs = Math.ceil(fromMs / stepMs) * stepMs;
  const points = toMs < startMs ? 0 : Math.floor((toMs - startMs) / stepMs) + 1;
  return { startMs, points };
}
