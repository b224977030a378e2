/**
 * Feeds the embedded store in-process: each tick reads the collectors' registry
 * (prom-client getMetricsAsJSON, no HTTP, no text parsing) and turns the tenantscope_* families into
 * signal samples — rates from counters (a counter that goes down was reset: its value is the
 * increase, as Prometheus' rate() does), quantiles from histogram bucket increases, gauges as they are.
 */
import type { Registry } from 'prom-client';
import { counterIncrement, labelKey } from '../../collector/series.js';
import { readsSeries, REDIS_TENANT_PRESENCE, RESOURCE_SERIES, seriesKey, type SeriesKey, type SignalName } from './types.js';

type Labels = Record<string, string | number>;
interface JsonValue {
  labels: Labels;
  value: number;
  metricName?: string;
}
interface JsonMetric {
  name: string;
  type: string;
  values: JsonValue[];
}

/** histogram_quantile over bucket increases (cumulative, sorted by le), linear inside the bucket as Prometheus does */
export function bucketQuantile(q: number, buckets: readonly { le: number; count: number }[]): number {
  if (buckets.length === 0) return Number.NaN;
  const total = buckets[buckets.length - 1]!.count;
  if (!(total > 0)) return Number.NaN;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of buckets) {
    if (b.count >= rank) {
      if (!Number.isFinite(b.le)) return prevLe; // in the +Inf bucket: the highest finite bound is all we know
      const inBucket = b.count - prevCount;
      return inBucket > 0 ? prevLe + ((b.le - prevLe) * (rank - prevCount)) / inBucket : b.le;
    }
    prevLe = b.le;
    prevCount = b.count;
  }
  return prevLe;
}

/** the wait-event types the detector reads (mechanisms cpu, io, wal; lock waits inside a tenant's own database) */
const PG_LOAD_TYPES = ['CPU', 'IO', 'LWLock', 'Lock'];

export interface RegistrySampler {
  /** reads the registry once and appends the samples at tMs; returns how many samples were written */
  sample(tMs: number): Promise<number>;
}

export function createRegistrySampler(registry: Registry, sink: { append(key: SeriesKey, tMs: number, value: number): void }): RegistrySampler {
  const last = new Map<string, number>();
  let lastT: number | undefined;
  /** Redis tenant and instance pairs seen at the previous sample (by keys, connections or slow commands) */
  let redisKnown = new Set<string>();
  /** PostgreSQL tenant, cluster and wait type written as a known 0 at the previous sample (no counter yet) */
  let pgLoadZero = new Set<string>();

  return {
    async sample(tMs) {
      const json = (await registry.getMetricsAsJSON()) as unknown as JsonMetric[];
      const byName = new Map(json.map((m) => [m.name, m]));
      const dt = lastT === undefined ? undefined : (tMs - lastT) / 1000;
      lastT = tMs;
      const seen = new Set<string>();
      /** the increase since the previous sample; for a series new since then, all of it when `bornSinceLast` says it counts from 0, else unknown */
      const increase = (name: string, v: JsonValue, bornSinceLast = false): number | undefined => {
        const k = `${v.metricName ?? name}\u0000${labelKey(v.labels as Record<string, string>)}`;
        seen.add(k);
        const prev = last.get(k);
        last.set(k, v.value);
        if (prev === undefined) return bornSinceLast ? v.value : undefined;
        return counterIncrement(prev, v.value);
      };
      const acc = new Map<string, { key: SeriesKey; sum: number; n: number }>();
      const add = (signal: SignalName, tenant: string, resource: string, sub: string, v: number | undefined) => {
        if (v === undefined || !Number.isFinite(v)) return;
        if (!readsSeries(signal, tenant)) return;
        const key = { signal, tenant, resource, sub };
        const k = seriesKey(key);
        const a = acc.get(k);
        if (a) {
          a.sum += v;
          a.n++;
        } else acc.set(k, { key, sum: v, n: 1 });
      };
      const each = (name: string, f: (v: JsonValue) => void) => {
        for (const v of byName.get(name)?.values ?? []) f(v);
      };
      const s = (x: string | number | undefined) => (x === undefined ? '' : String(x));
      const rate = (name: string, v: JsonValue, bornSinceLast = false) => {
        const inc = increase(name, v, bornSinceLast);
        return inc === undefined || !dt || dt <= 0 ? undefined : inc / dt;
      };

      // ingress: request rate and 5xx ratio per tenant, p95 from bucket increases
      const req = new Map<string, { tenant: string; ingress: string; all: number; err: number; known: boolean }>();
      each('tenantscope_ingress_requests_total', (v) => {
        const r = rate('tenantscope_ingress_requests_total', v);
        const k = `${s(v.labels.tenant)}\u0001${s(v.labels.ingress)}`;
        const e = req.get(k) ?? { tenant: s(v.labels.tenant), ingress: s(v.labels.ingress), all: 0, err: 0, known: false };
        if (r !== undefined) {
          e.known = true;
          e.all += r;
          if (v.labels.code_class === '5xx') e.err += r;
        }
        req.set(k, e);
      });
      for (const e of req.values()) {
        if (!e.known) continue;
        add('ingress.request_rate', e.tenant, e.ingress, '', e.all);
        if (e.all > 0) add('ingress.error_ratio', e.tenant, e.ingress, '', e.err / e.all);
      }
      const hist = (name: string, q: number, keyOf: (l: Labels) => [string, string], signal: SignalName) => {
        const groups = new Map<string, { id: [string, string]; buckets: { le: number; count: number }[]; known: boolean }>();
        for (const v of byName.get(name)?.values ?? []) {
          if (v.metricName !== `${name}_bucket`) {
            increase(name, v);
            continue;
          }
          const id = keyOf(v.labels);
          const k = id.join('\u0001');
          const g = groups.get(k) ?? { id, buckets: [], known: true };
          const inc = increase(name, v);
          if (inc === undefined) g.known = false;
          const le = v.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(v.labels.le);
          g.buckets.push({ le, count: inc ?? 0 });
          groups.set(k, g);
        }
        for (const g of groups.values()) {
          if (!g.known) continue;
          g.buckets.sort((a, b) => a.le - b.le);
          add(signal, g.id[0], g.id[1], '', bucketQuantile(q, g.buckets));
        }
      };
      hist('tenantscope_ingress_request_duration_seconds', 0.95, (l) => [s(l.tenant), s(l.ingress)], 'ingress.p95_latency_seconds');
      hist('tenantscope_redis_canary_seconds', 0.99, (l) => [RESOURCE_SERIES, s(l.redis_instance)], 'redis.canary_p99_seconds');

      // postgres
      const db = (l: Labels): [string, string] => [s(l.tenant), s(l.pg_cluster)];
      const tps = new Map<string, { id: [string, string]; v: number }>();
      for (const name of ['tenantscope_pg_xact_commit_total', 'tenantscope_pg_xact_rollback_total']) {
        each(name, (v) => {
          const r = rate(name, v);
          if (r === undefined) return;
          const id = db(v.labels);
          const k = id.join('\u0001');
          const e = tps.get(k) ?? { id, v: 0 };
          e.v += r;
          tps.set(k, e);
        });
      }
      for (const e of tps.values()) add('postgres.tps', e.id[0], e.id[1], '', e.v);
      const calls = new Map<string, number>();
      each('tenantscope_pg_statement_calls_total', (v) => {
        const inc = increase('tenantscope_pg_statement_calls_total', v);
        if (inc !== undefined) calls.set(db(v.labels).join('\u0001'), (calls.get(db(v.labels).join('\u0001')) ?? 0) + inc);
      });
      each('tenantscope_pg_statement_exec_seconds_total', (v) => {
        const inc = increase('tenantscope_pg_statement_exec_seconds_total', v);
        if (inc === undefined) return;
        const [tenant, cluster] = db(v.labels);
        const c = calls.get(`${tenant}\u0001${cluster}`);
        // no calls in the interval: the mean is unknown, not zero
        if (c !== undefined && c > 0) add('postgres.mean_query_seconds', tenant, cluster, '', inc / c);
        // add() sums a tenant's databases on a cluster
        if (dt && dt > 0) add('postgres.exec_seconds_rate', tenant, cluster, '', inc / dt);
      });
      const loadSeen = new Set<string>();
      each('tenantscope_pg_wait_load_seconds_total', (v) => {
        const k = `${s(v.labels.tenant)}\u0001${s(v.labels.pg_cluster)}\u0001${s(v.labels.wait_event_type)}`;
        loadSeen.add(k);
        // a counter born since a sample that read this load as 0 counts from 0: its first point is known (an
        // antagonist's first CPU sessions are not missing at the very point it surges)
        add('postgres.load_sessions', s(v.labels.tenant), s(v.labels.pg_cluster), s(v.labels.wait_event_type), rate('tenantscope_pg_wait_load_seconds_total', v, pgLoadZero.has(k)));
      });
      // the activity sampler creates a tenant's counter of a wait type the first time it sees such a session:
      // until then that load was 0, not unknown — without this, a mostly idle tenant has no baseline for the
      // types the detector weighs, and cannot be named when it suddenly surges
      const zero = new Set<string>();
      for (const e of tps.values()) {
        for (const sub of PG_LOAD_TYPES) {
          const k = `${e.id[0]}\u0001${e.id[1]}\u0001${sub}`;
          if (loadSeen.has(k)) continue;
          add('postgres.load_sessions', e.id[0], e.id[1], sub, 0);
          zero.add(k);
        }
      }
      pgLoadZero = zero;
      const conns = new Map<string, { id: [string, string]; v: number }>();
      each('tenantscope_pg_connections', (v) => {
        const id = db(v.labels);
        const k = id.join('\u0001');
        const e = conns.get(k) ?? { id, v: 0 };
        e.v += v.value;
        conns.set(k, e);
      });
      for (const e of conns.values()) add('postgres.connections', e.id[0], e.id[1], '', e.v);
      // sessions established per second (pg_stat_database.sessions): the churn of a connection storm, whose
      // cost (a backend forked and initialised per connection) no wait sample sees
      each('tenantscope_pg_sessions_total', (v) => add('postgres.session_rate', s(v.labels.tenant), s(v.labels.pg_cluster), '', rate('tenantscope_pg_sessions_total', v)));
      each('tenantscope_pg_blks_read_total', (v) => add('postgres.blks_read_rate', s(v.labels.tenant), s(v.labels.pg_cluster), '', rate('tenantscope_pg_blks_read_total', v)));
      each('tenantscope_pg_lock_waiting_sessions', (v) => add('postgres.lock_waiting_sessions', s(v.labels.tenant), s(v.labels.pg_cluster), '', v.value));
      each('tenantscope_pg_max_connections', (v) => add('postgres.max_connections', RESOURCE_SERIES, s(v.labels.pg_cluster), '', v.value));

      // redis
      const slowSeen = new Set<string>();
      each('tenantscope_redis_slow_command_seconds_total', (v) => {
        const id = `${s(v.labels.tenant)}\u0001${s(v.labels.redis_instance)}`;
        slowSeen.add(id);
        // the collector creates a tenant's counter (per command) at its first slow command: for a tenant
        // already known at the previous sample, everything it counts arrived since then
        add('redis.command_seconds_rate', s(v.labels.tenant), s(v.labels.redis_instance), '', rate('tenantscope_redis_slow_command_seconds_total', v, redisKnown.has(id)));
      });
      // a Redis tenant (its keys or connections seen) without slow commands spent no time in them: a
      // known 0, not unknown — else a tenant that goes from none to most of the instance's time has no
      // history to rise from, and no one can be named for it
      const known = new Set<string>(slowSeen);
      const markKnown = (v: JsonValue) => {
        const id = `${s(v.labels.tenant)}\u0001${s(v.labels.redis_instance)}`;
        if (known.has(id)) return;
        known.add(id);
        // only once rates exist (the second sample on): the first has no rate for anyone
        if (dt !== undefined) add('redis.command_seconds_rate', s(v.labels.tenant), s(v.labels.redis_instance), '', 0);
      };
      for (const name of REDIS_TENANT_PRESENCE) each(name, markKnown);
      redisKnown = known;
      // added after the zero rates above, not in the same pass: `acc`'s order is the order the store
      // first creates series in (and which are dropped once it is full)
      each('tenantscope_redis_tenant_memory_bytes', (v) => add('redis.memory_bytes', s(v.labels.tenant), s(v.labels.redis_instance), '', v.value));
      each('tenantscope_redis_maxmemory_bytes', (v) => add('redis.max_memory_bytes', RESOURCE_SERIES, s(v.labels.redis_instance), '', v.value));

      // kubernetes
      each('tenantscope_k8s_tenant_cpu_usage_cores', (v) => add('node.cpu_cores', s(v.labels.tenant), s(v.labels.node), '', v.value));
      each('tenantscope_k8s_tenant_memory_working_set_bytes', (v) => add('node.memory_bytes', s(v.labels.tenant), s(v.labels.node), '', v.value));
      each('tenantscope_k8s_node_allocatable_cpu_cores', (v) => add('node.cpu_allocatable_cores', RESOURCE_SERIES, s(v.labels.node), '', v.value));
      each('tenantscope_k8s_node_allocatable_memory_bytes', (v) => add('node.memory_allocatable_bytes', RESOURCE_SERIES, s(v.labels.node), '', v.value));

      // sums over sub-series (several wait types, commands, namespaces of one tenant on a node) add up; the rest are single
      let n = 0;
      for (const a of acc.values()) {
        sink.append(a.key, tMs, a.sum);
        n++;
      }
      // forget counters of series that went away, so memory follows the live set
      for (const k of last.keys()) if (!seen.has(k)) last.delete(k);
      return n;
    },
  };
}
