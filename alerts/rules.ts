/**
 * Prometheus recording and alerting rules over tenantscope's own families, generated as code.
 * `tenantscope alerts` writes them; the committed copy in alerts/generated/ is checked for
 * staleness by a test, validated by `promtool check rules` and exercised by `promtool test rules`.
 * Every alert carries `scope` (platform | tenant) and `component`, like the findings posted to
 * Alertmanager, so one routing tree serves both.
 */
import { stringify } from 'yaml';

export interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface RuleGroup {
  name: string;
  interval?: string;
  rules: Rule[];
}

const by = (labels: string) => `by (${labels})`;

export function recordingRules(): RuleGroup {
  return {
    name: 'tenantscope-tenant-recording',
    rules: [
      { record: 'tenant:tenantscope_ingress_requests:rate5m', expr: `sum ${by('tenant, ingress')} (rate(tenantscope_ingress_requests_total[5m]))` },
      {
        record: 'tenant:tenantscope_ingress_error_ratio:rate5m',
        expr: `sum ${by('tenant, ingress')} (rate(tenantscope_ingress_requests_total{code_class="5xx"}[5m]))\n/\nsum ${by('tenant, ingress')} (rate(tenantscope_ingress_requests_total[5m]))`,
      },
      {
        record: 'tenant:tenantscope_ingress_request_duration_seconds:p95_5m',
        expr: `histogram_quantile(0.95, sum ${by('tenant, ingress, le')} (rate(tenantscope_ingress_request_duration_seconds_bucket[5m])))`,
      },
      { record: 'tenant:tenantscope_ingress_auth_failures:rate5m', expr: `sum ${by('tenant, ingress')} (rate(tenantscope_ingress_auth_failures_total[5m]))` },
      {
        record: 'tenant:tenantscope_pg_mean_query_seconds:rate5m',
        expr: `sum ${by('tenant, pg_cluster')} (rate(tenantscope_pg_statement_exec_seconds_total[5m]))\n/\nsum ${by('tenant, pg_cluster')} (rate(tenantscope_pg_statement_calls_total[5m]))`,
      },
      { record: 'tenant:tenantscope_pg_load_sessions:rate1m', expr: `sum ${by('tenant, pg_cluster, wait_event_type')} (rate(tenantscope_pg_wait_load_seconds_total[1m]))` },
      { record: 'tenant:tenantscope_pg_xact:rate5m', expr: `sum ${by('tenant, pg_cluster')} (rate(tenantscope_pg_xact_commit_total[5m]) + rate(tenantscope_pg_xact_rollback_total[5m]))` },
      {
        record: 'instance:tenantscope_redis_canary_seconds:p99_5m',
        expr: `histogram_quantile(0.99, sum ${by('redis_instance, le')} (rate(tenantscope_redis_canary_seconds_bucket[5m])))`,
      },
    ],
  };
}

const down = (family: string, label: string | undefined, component: string): Rule => ({
  alert: `Tenantscope${component}SourceDown`,
  // max_over_time: one failed poll is a blip, a whole window of them is an outage
  expr: `max_over_time(${family}[2m]) == 0`,
  for: '1m',
  labels: { severity: 'critical', scope: 'platform', component: label ? `${component.toLowerCase()}/{{ $labels.${label} }}` : component.toLowerCase() },
  annotations: {
    summary: `tenantscope cannot read ${component}${label ? ' {{ $labels.' + label + ' }}' : ''}`,
    description: `${family} has been 0 for 3 minutes: per-tenant signals from this source are missing, so analysis of its tenants is "unknown", not healthy. Check the collector log for the error, which names the source and the remedy.`,
  },
});

export function alertingRules(): RuleGroup[] {
  const authRate = 'tenant:tenantscope_ingress_auth_failures:rate5m';
  const authHistory = `avg_over_time(${authRate}[1d] offset 1h)`;
  return [
    {
      name: 'tenantscope-sources',
      rules: [
        down('tenantscope_pg_up', 'pg_cluster', 'Postgres'),
        down('tenantscope_redis_up', 'redis_instance', 'Redis'),
        down('tenantscope_ingress_up', 'ingress', 'Ingress'),
        down('tenantscope_k8s_up', undefined, 'Kubernetes'),
        {
          alert: 'TenantscopeSeriesOverflow',
          expr: 'increase(tenantscope_series_overflow_total[15m]) > 0',
          labels: { severity: 'warning', scope: 'tenant', component: 'collector' },
          annotations: {
            summary: 'tenant {{ $labels.tenant }} exceeds its series limit',
            description: 'Series of {{ $labels.tenant }} beyond collector.maxSeriesPerTenant are being dropped ({{ $value }} in 15m). Raise the limit or turn off per-query series.',
          },
        },
      ],
    },
    {
      name: 'tenantscope-tenants',
      rules: [
        {
          alert: 'TenantAuthFailureSpike',
          // five times the tenant's own last day, or — with no history yet — any sustained rate above the floor
          expr: `${authRate} > 0.5\nand\n(\n  ${authRate} > 5 * ${authHistory}\n  or\n  ${authRate} unless ${authHistory}\n)`,
          for: '5m',
          labels: { severity: 'warning', scope: 'tenant', component: 'ingress/{{ $labels.ingress }}' },
          annotations: {
            summary: 'authentication failures spike for tenant {{ $labels.tenant }}',
            description: '401/403 responses for {{ $labels.tenant }} at {{ $value | humanize }}/s on {{ $labels.ingress }}, far above its own last day: credential stuffing, an expired integration token or a broken SSO.',
          },
        },
        {
          alert: 'TenantIngressErrorRatioHigh',
          expr: `tenant:tenantscope_ingress_error_ratio:rate5m > 0.05\nand on (tenant, ingress)\ntenant:tenantscope_ingress_requests:rate5m > 0.1`,
          for: '5m',
          labels: { severity: 'critical', scope: 'tenant', component: 'ingress/{{ $labels.ingress }}' },
          annotations: {
            summary: 'tenant {{ $labels.tenant }}: {{ $value | humanizePercentage }} of requests fail',
            description: '5xx ratio above 5% for 5 minutes at {{ $labels.ingress }}. See /api/v1/analysis: a noisy-neighbor or platform finding explains whether this tenant is a victim.',
          },
        },
        {
          alert: 'TenantIngressLatencyHigh',
          expr: `tenant:tenantscope_ingress_request_duration_seconds:p95_5m > 2\nand on (tenant, ingress)\ntenant:tenantscope_ingress_requests:rate5m > 0.1`,
          for: '10m',
          labels: { severity: 'warning', scope: 'tenant', component: 'ingress/{{ $labels.ingress }}' },
          annotations: {
            summary: 'tenant {{ $labels.tenant }}: p95 latency {{ $value | humanizeDuration }}',
            description: 'p95 request latency above 2 s for 10 minutes at {{ $labels.ingress }}.',
          },
        },
        {
          alert: 'PostgresConnectionsNearLimit',
          expr: `sum by (pg_cluster) (tenantscope_pg_connections)\n/ on (pg_cluster)\ntenantscope_pg_max_connections > 0.85`,
          for: '5m',
          labels: { severity: 'warning', scope: 'platform', component: 'postgres/{{ $labels.pg_cluster }}' },
          annotations: {
            summary: '{{ $labels.pg_cluster }} uses {{ $value | humanizePercentage }} of max_connections',
            description: 'New connections of every tenant will be refused soon. tenantscope_pg_connections by tenant shows who holds them (idle-in-transaction hoarding is the usual cause).',
          },
        },
        {
          alert: 'RedisStalling',
          expr: 'instance:tenantscope_redis_canary_seconds:p99_5m > 0.05',
          for: '5m',
          labels: { severity: 'warning', scope: 'platform', component: 'redis/{{ $labels.redis_instance }}' },
          annotations: {
            summary: 'Redis {{ $labels.redis_instance }} stalls: canary p99 {{ $value | humanizeDuration }}',
            description: 'Every client of the instance waits. tenantscope_redis_slow_commands_total by tenant names who runs slow commands.',
          },
        },
      ],
    },
  ];
}

export function rulesFile(): { groups: RuleGroup[] } {
  return { groups: [recordingRules(), ...alertingRules()] };
}

export function renderRules(): string {
  return '# Generated by `tenantscope alerts` from alerts/rules.ts — do not edit.\n' + stringify(rulesFile(), { lineWidth: 0 });
}

/** tenantscope_* names an expression reads (recording-rule outputs excluded). */
export function referencedFamilies(expr: string): string[] {
  const names = new Set<string>();
  for (const m of expr.matchAll(/(?<![:\w])(tenantscope_[a-z0-9_]+)/g)) names.add(m[1]!.replace(/_(bucket|sum|count)$/, ''));
  return [...names];
}
