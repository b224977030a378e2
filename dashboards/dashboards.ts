/**
 * Grafana dashboards generated as typed code (grafana-foundation-sdk). `tenantscope dashboards`
 * writes them; the committed JSON in dashboards/generated/ fails a test when stale.
 * Queries read tenantscope's families and the recording rules of alerts/rules.ts.
 */
import { DashboardBuilder, DatasourceVariableBuilder, QueryVariableBuilder, RowBuilder, VariableRefresh } from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as TimeseriesBuilder } from '@grafana/grafana-foundation-sdk/timeseries';
import { StackingConfigBuilder, StackingMode } from '@grafana/grafana-foundation-sdk/common';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';

const DS = { type: 'prometheus', uid: '${datasource}' };

function ts(title: string, unit: string, queries: [expr: string, legend: string][], opts: { stack?: boolean; description?: string; width?: number } = {}) {
  const p = new TimeseriesBuilder()
    .title(title)
    .unit(unit)
    .datasource(DS)
    .height(8)
    .span(opts.width ?? 12)
    .fillOpacity(opts.stack ? 60 : 10);
  if (opts.description) p.description(opts.description);
  if (opts.stack) p.stacking(new StackingConfigBuilder().mode(StackingMode.Normal));
  queries.forEach(([expr, legend], i) => p.withTarget(new DataqueryBuilder().expr(expr).legendFormat(legend).refId(String.fromCharCode(65 + i))));
  return p;
}

function base(uid: string, title: string, description: string) {
  return new DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags(['tenantscope', 'generated'])
    .refresh('30s')
    .time({ from: 'now-6h', to: 'now' })
    .timezone('browser')
    .withVariable(new DatasourceVariableBuilder('datasource').label('Data source').type('prometheus'));
}

const tenantVar = (multi: boolean) =>
  new QueryVariableBuilder('tenant')
    .label('Tenant')
    .datasource(DS)
    .query('label_values(tenantscope_tenant_series, tenant)')
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .multi(multi)
    .includeAll(multi);

export function tenantOverview(): Dashboard {
  const t = 'tenant=~"$tenant"';
  return base('tenantscope-tenant', 'tenantscope / Tenant', "One tenant's experience and footprint across the shared platform")
    .withVariable(tenantVar(false))
    .withRow(new RowBuilder('Experience (ingress)'))
    .withPanel(ts('Requests by status class', 'reqps', [[`sum by (code_class) (rate(tenantscope_ingress_requests_total{${t}}[$__rate_interval]))`, '{{code_class}}']], { stack: true }))
    .withPanel(
      ts('p95 latency', 's', [[`histogram_quantile(0.95, sum by (le, ingress) (rate(tenantscope_ingress_request_duration_seconds_bucket{${t}}[$__rate_interval])))`, 'p95 {{ingress}}']]),
    )
    .withPanel(ts('Error ratio (5xx)', 'percentunit', [[`tenant:tenantscope_ingress_error_ratio:rate5m{${t}}`, '{{ingress}}']]))
    .withPanel(ts('Authentication failures (401/403)', 'reqps', [[`tenant:tenantscope_ingress_auth_failures:rate5m{${t}}`, '{{ingress}}']]))
    .withRow(new RowBuilder('PostgreSQL'))
    .withPanel(ts('DB load by wait event (average active sessions)', 'short', [[`sum by (wait_event_type) (rate(tenantscope_pg_wait_load_seconds_total{${t}}[$__rate_interval]))`, '{{wait_event_type}}']], { stack: true }))
    .withPanel(ts('Mean query time', 's', [[`tenant:tenantscope_pg_mean_query_seconds:rate5m{${t}}`, '{{pg_cluster}}']]))
    .withPanel(ts('Transactions', 'ops', [[`tenant:tenantscope_pg_xact:rate5m{${t}}`, '{{pg_cluster}}']]))
    .withPanel(ts('Connections by state', 'short', [[`sum by (state) (tenantscope_pg_connections{${t}})`, '{{state}}']], { stack: true }))
    .withRow(new RowBuilder('Redis'))
    .withPanel(ts('Memory attributed', 'bytes', [[`tenantscope_redis_tenant_memory_bytes{${t}}`, '{{redis_instance}}']]))
    .withPanel(ts('Slow commands', 'ops', [[`sum by (command) (rate(tenantscope_redis_slow_commands_total{${t}}[$__rate_interval]))`, '{{command}}']], { stack: true }))
    .withRow(new RowBuilder('Kubernetes'))
    .withPanel(ts('CPU by node', 'short', [[`sum by (node) (tenantscope_k8s_tenant_cpu_usage_cores{${t}})`, '{{node}}']], { stack: true }))
    .withPanel(ts('Memory working set by node', 'bytes', [[`sum by (node) (tenantscope_k8s_tenant_memory_working_set_bytes{${t}})`, '{{node}}']], { stack: true }))
    .build();
}

export function sharedResources(): Dashboard {
  return base('tenantscope-shared', 'tenantscope / Shared resources: who uses what', 'Each shared resource stacked by tenant: the noisy neighbour is the band that grows')
    .withVariable(tenantVar(true))
    .withRow(new RowBuilder('PostgreSQL clusters'))
    .withPanel(ts('DB load by tenant', 'short', [['sum by (tenant) (rate(tenantscope_pg_wait_load_seconds_total{tenant=~"$tenant"}[$__rate_interval]))', '{{tenant}}']], { stack: true }))
    .withPanel(ts('I/O-wait load by tenant', 'short', [['sum by (tenant) (rate(tenantscope_pg_wait_load_seconds_total{tenant=~"$tenant",wait_event_type="IO"}[$__rate_interval]))', '{{tenant}}']], { stack: true }))
    .withPanel(ts('Mean query time by tenant', 's', [['tenant:tenantscope_pg_mean_query_seconds:rate5m{tenant=~"$tenant"}', '{{tenant}}']]))
    .withPanel(
      ts('Connections used of max_connections', 'percentunit', [['sum by (pg_cluster) (tenantscope_pg_connections) / on (pg_cluster) tenantscope_pg_max_connections', '{{pg_cluster}}']]),
    )
    .withRow(new RowBuilder('Redis'))
    .withPanel(ts('Slow-command time by tenant', 's', [['sum by (tenant) (rate(tenantscope_redis_slow_command_seconds_total{tenant=~"$tenant"}[$__rate_interval]))', '{{tenant}}']], { stack: true }))
    .withPanel(ts('Canary p99 (what every client feels)', 's', [['instance:tenantscope_redis_canary_seconds:p99_5m', '{{redis_instance}}']]))
    .withRow(new RowBuilder('Nodes'))
    .withPanel(ts('CPU by tenant', 'short', [['sum by (tenant) (tenantscope_k8s_tenant_cpu_usage_cores{tenant=~"$tenant"})', '{{tenant}}']], { stack: true }))
    .withPanel(ts('Node CPU allocatable', 'short', [['sum(tenantscope_k8s_node_allocatable_cpu_cores)', 'allocatable']]))
    .withRow(new RowBuilder('Ingress'))
    .withPanel(ts('Requests by tenant', 'reqps', [['tenant:tenantscope_ingress_requests:rate5m{tenant=~"$tenant"}', '{{tenant}}']], { stack: true }))
    .withPanel(ts('p95 latency by tenant', 's', [['tenant:tenantscope_ingress_request_duration_seconds:p95_5m{tenant=~"$tenant"}', '{{tenant}}']]))
    .build();
}

export function self(): Dashboard {
  return base('tenantscope-self', 'tenantscope / Self', 'Is tenantscope itself healthy: sources, cycles, series')
    .withPanel(
      ts('Sources up', 'short', [
        ['tenantscope_pg_up', 'pg {{pg_cluster}}'],
        ['tenantscope_redis_up', 'redis {{redis_instance}}'],
        ['tenantscope_ingress_up', 'ingress {{ingress}}'],
        ['tenantscope_k8s_up', 'kubernetes'],
      ]),
    )
    .withPanel(ts('Cycle duration p95', 's', [['histogram_quantile(0.95, sum by (le, subsystem) (rate(tenantscope_cycle_duration_seconds_bucket[$__rate_interval])))', '{{subsystem}}']]))
    .withPanel(ts('Series per tenant (top 10)', 'short', [['topk(10, tenantscope_tenant_series)', '{{tenant}}']]))
    .withPanel(ts('Series dropped over the limit', 'short', [['increase(tenantscope_series_overflow_total[$__rate_interval])', '{{tenant}}']]))
    .build();
}

export function allDashboards(): Record<string, Dashboard> {
  return { 'tenant.json': tenantOverview(), 'shared-resources.json': sharedResources(), 'self.json': self() };
}

export function renderDashboards(): Record<string, string> {
  return Object.fromEntries(Object.entries(allDashboards()).map(([f, d]) => [f, JSON.stringify(d, null, 2) + '\n']));
}
