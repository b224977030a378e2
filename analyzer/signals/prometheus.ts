/**
 * A SignalSource over any Prometheus-compatible query API (Prometheus, Thanos, Mimir with
 * X-Scope-OrgID, VictoriaMetrics): one /api/v1/query_range per signal, PromQL over the tenantscope_*
 * families; optionally node CPU and memory from cAdvisor by namespace, mapped to tenants through the
 * tenancy resolver (the one place a namespace becomes a tenant). A query that errors or times out
 * costs its signal only: it is reported in `warnings`, as are the API's own warnings (partial data).
 * Only when every query fails does range() throw.
 */
import { redactUrl, SourceError } from '../../lib/errors.js';
import type { TenantResolver } from '../../tenancy/index.js';
import { grid, readsSeries, REDIS_TENANT_PRESENCE, RESOURCE_SERIES, seriesKey, SIGNALS, type Series, type SignalName, type SignalQuery, type SignalRange, type SignalSource } from './types.js';

export interface PrometheusSourceOptions {
  url: string;
  /** Mimir/Cortex/Loki tenant: sent as X-Scope-OrgID */
  orgId?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
  /** read node.cpu_cores / node.memory_bytes from cAdvisor instead of tenantscope's pod collector */
  cadvisor?: boolean;
  name?: string;
}

interface PromQuery {
  promql: (w: string) => string;
  /** which labels give tenant, resource and sub */
  tenant: (m: Record<string, string>) => string;
  resource: string;
  sub?: string;
}

const tenantLabel = (m: Record<string, string>) => m.tenant ?? '';

export function promqlFor(signal: SignalName, cadvisor: boolean, resolver: TenantResolver): PromQuery {
  const spec = SIGNALS[signal];
  const by = `tenant, ${spec.resourceLabel}`;
  const rate = (metric: string, extra = '') => (w: string) => `sum by (${by}${extra}) (rate(${metric}[${w}]))`;
  const gauge = (metric: string) => () => `sum by (${by}) (${metric})`;
  const cap = (metric: string) => () => `max by (${spec.resourceLabel}) (${metric})`;
  const T = (promql: (w: string) => string, sub?: string): PromQuery => ({ promql, tenant: tenantLabel, resource: spec.resourceLabel, ...(sub ? { sub } : {}) });
  const R = (promql: (w: string) => string): PromQuery => ({ promql, tenant: () => RESOURCE_SERIES, resource: spec.resourceLabel });
  const byNamespace = (m: Record<string, string>) => resolver.namespace({ name: m.namespace ?? '' });
  switch (signal) {
    case 'ingress.request_rate':
      return T(rate('tenantscope_ingress_requests_total'));
    case 'ingress.error_ratio':
      return T((w) => `${rate('tenantscope_ingress_requests_total{code_class="5xx"}')(w)} / ${rate('tenantscope_ingress_requests_total')(w)}`);
    case 'ingress.p95_latency_seconds':
      return T((w) => `histogram_quantile(0.95, ${rate('tenantscope_ingress_request_duration_seconds_bucket', ', le')(w)})`);
    case 'postgres.tps':
      return T((w) => `${rate('tenantscope_pg_xact_commit_total')(w)} + ${rate('tenantscope_pg_xact_rollback_total')(w)}`);
    case 'postgres.mean_query_seconds':
      return T((w) => `${rate('tenantscope_pg_statement_exec_seconds_total')(w)} / ${rate('tenantscope_pg_statement_calls_total')(w)}`);
    case 'postgres.exec_seconds_rate':
      return T(rate('tenantscope_pg_statement_exec_seconds_total'));
    case 'postgres.load_sessions':
      return T(rate('tenantscope_pg_wait_load_seconds_total', ', wait_event_type'), 'wait_event_type');
    case 'postgres.connections':
      return T(gauge('tenantscope_pg_connections'));
    case 'postgres.session_rate':
      return T(rate('tenantscope_pg_sessions_total'));
    case 'postgres.blks_read_rate':
      return T(rate('tenantscope_pg_blks_read_total'));
    case 'postgres.lock_waiting_sessions':
      return T(gauge('tenantscope_pg_lock_waiting_sessions'));
    case 'postgres.max_connections':
      return R(cap('tenantscope_pg_max_connections'));
    case 'redis.canary_p99_seconds':
      return R((w) => `histogram_quantile(0.99, sum by (redis_instance, le) (rate(tenantscope_redis_canary_seconds_bucket[${w}])))`);
    case 'redis.command_seconds_rate':
      // a tenant the instance knows (its memory, keys or connections) with no slow command yet has no
      // counter: 0 s/s of command time, not unknown — as the embedded sampler reads it
      return T((w) => [rate('tenantscope_redis_slow_command_seconds_total')(w), ...REDIS_TENANT_PRESENCE.map((m) => `${gauge(m)()} * 0`)].join(' or '));
    case 'redis.memory_bytes':
      return T(gauge('tenantscope_redis_tenant_memory_bytes'));
    case 'redis.max_memory_bytes':
      return R(cap('tenantscope_redis_maxmemory_bytes'));
    case 'node.cpu_cores':
      return cadvisor
        ? { promql: (w) => `sum by (namespace, node) (rate(container_cpu_usage_seconds_total{container!="",container!="POD"}[${w}]))`, tenant: byNamespace, resource: 'node' }
        : T(gauge('tenantscope_k8s_tenant_cpu_usage_cores'));
    case 'node.memory_bytes':
      return cadvisor
        ? { promql: () => `sum by (namespace, node) (container_memory_working_set_bytes{container!="",container!="POD"})`, tenant: byNamespace, resource: 'node' }
        : T(gauge('tenantscope_k8s_tenant_memory_working_set_bytes'));
    case 'node.cpu_allocatable_cores':
      return R(cap('tenantscope_k8s_node_allocatable_cpu_cores'));
    case 'node.memory_allocatable_bytes':
      return R(cap('tenantscope_k8s_node_allocatable_memory_bytes'));
  }
}

interface PromResponse {
  status: 'success' | 'error';
  error?: string;
  errorType?: string;
  warnings?: string[];
  infos?: string[];
  data?: { resultType: string; result: { metric: Record<string, string>; values: [number, string][] }[] };
}

export function createPrometheusSignalSource(opts: PrometheusSourceOptions, deps: { resolver: TenantResolver; fetch?: typeof fetch }): SignalSource {
  const base = opts.url.replace(/\/+$/, '');
  const name = opts.name ?? `prometheus ${redactUrl(base)}`;
  const doFetch = deps.fetch ?? fetch;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const headers: Record<string, string> = { accept: 'application/json', ...(opts.headers ?? {}) };
  if (opts.orgId) headers['X-Scope-OrgID'] = opts.orgId;

  const query = async (promql: string, startMs: number, endMs: number, stepMs: number): Promise<PromResponse> => {
    const params = new URLSearchParams({ query: promql, start: String(startMs / 1000), end: String(endMs / 1000), step: `${stepMs / 1000}s` });
    let res: Response;
    try {
      res = await doFetch(`${base}/api/v1/query_range`, { method: 'POST', headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, body: params, signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      const timedOut = (err as Error).name === 'TimeoutError';
      throw new SourceError(name, 'query_range', timedOut ? `no answer within ${timeoutMs} ms — raise sources.prometheus.timeoutMs or check the server` : `${(err as Error).message} — is the query API reachable?`, {
        cause: err,
        code: 'TS_SOURCE_UNREACHABLE',
      });
    }
    let body: PromResponse;
    try {
      body = (await res.json()) as PromResponse;
    } catch (err) {
      throw new SourceError(name, 'query_range', `HTTP ${res.status} with a body that is not JSON — is ${redactUrl(base)} a Prometheus-compatible API?`, { cause: err });
    }
    if (body.status !== 'success' || !body.data) {
      throw new SourceError(name, 'query_range', `HTTP ${res.status} ${body.errorType ?? ''} ${body.error ?? 'no data'} for ${promql.slice(0, 120)}`);
    }
    return body;
  };

  return {
    name,
    async range(q: SignalQuery, fromMs: number, toMs: number, stepMs: number): Promise<SignalRange> {
      const { startMs, points } = grid(fromMs, toMs, stepMs);
      if (points === 0) return { startMs, stepMs, points, series: [], warnings: [] };
      const endMs = startMs + (points - 1) * stepMs;
      // a rate window of four steps (at least 1 m) survives one missed scrape
      const w = `${Math.max(60, Math.round((4 * stepMs) / 1000))}s`;
      const tenants = q.tenants ? new Set(q.tenants) : undefined;
      const warnings: string[] = [];
      const merged = new Map<string, { s: Series; n: Uint16Array }>();
      let failures = 0;
      let lastError: unknown;
      await Promise.all(
        q.signals.map(async (signal) => {
          const pq = promqlFor(signal, opts.cadvisor ?? false, deps.resolver);
          let body: PromResponse;
          try {
            body = await query(pq.promql(w), startMs, endMs, stepMs);
          } catch (err) {
            failures++;
            lastError = err;
            warnings.push(`${signal}: ${(err as Error).message}`);
            return;
          }
          for (const x of [...(body.warnings ?? []), ...(body.infos ?? [])]) warnings.push(`${signal}: partial data: ${x}`);
          for (const r of body.data!.result) {
            const tenant = pq.tenant(r.metric);
            if (tenants && tenant !== RESOURCE_SERIES && !tenants.has(tenant)) continue;
            if (!readsSeries(signal, tenant)) continue;
            const key = { signal, tenant, resource: r.metric[pq.resource] ?? r.metric.instance ?? '', sub: pq.sub ? (r.metric[pq.sub] ?? '') : '' };
            const k = seriesKey(key);
            // several namespaces of one tenant on a node (cAdvisor) add up into one series
            let m = merged.get(k);
            if (!m) {
              m = { s: { ...key, values: new Float64Array(points).fill(Number.NaN) }, n: new Uint16Array(points) };
              merged.set(k, m);
            }
            for (const [ts, v] of r.values) {
              const j = Math.round((ts * 1000 - startMs) / stepMs);
              const val = Number(v);
              if (j < 0 || j >= points || !Number.isFinite(val)) continue;
              const vals = m.s.values as Float64Array;
              vals[j] = m.n[j] ? vals[j]! + val : val;
              m.n[j]!++;
            }
          }
        }),
      );
      if (failures > 0 && failures === q.signals.length) {
        throw lastError instanceof SourceError ? lastError : new SourceError(name, 'query_range', `every query failed: ${warnings[0] ?? 'unknown error'}`, { cause: lastError });
      }
      return { startMs, stepMs, points, series: [...merged.values()].map((m) => m.s), warnings };
    },
  };
}
