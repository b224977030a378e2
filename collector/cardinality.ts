/**
 * Per-tenant series limit over the whole registry. After each collection cycle the guard counts
 * series per `tenant` label; a tenant over `maxSeriesPerTenant` has its newest excess series removed,
 * and the overflow is counted and logged per tenant — bounded, but never silently truncated.
 * The default limit is far below Mimir's 150,000 active series per tenant, so one runaway tenant
 * (e.g. a per-query opt-in gone wild) cannot push the whole exposition over a remote-write limit.
 */
import { Counter, Gauge, type Registry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { Logger } from '../lib/log.js';

export interface CardinalityGuard {
  /** counts and enforces; returns the tenants that overflowed in this pass */
  enforce(): Promise<Map<string, number>>;
}

const OWN = new Set(['tenantscope_tenant_series', 'tenantscope_series_overflow_total']);

export function createCardinalityGuard(registry: Registry, opts: { maxSeriesPerTenant: number }, logger: Logger): CardinalityGuard {
  const series = new Gauge({ name: 'tenantscope_tenant_series', help: 'series exported for the tenant after the limit is applied', labelNames: ['tenant'], registers: [registry] });
  const overflow = new Counter({
    name: 'tenantscope_series_overflow_total',
    help: 'series dropped because the tenant exceeded collector.maxSeriesPerTenant',
    labelNames: ['tenant'],
    registers: [registry],
  });
  const seenTenants = new Set<string>();

  return {
    async enforce() {
      const families = (await registry.getMetricsAsJSON()) as MetricObjectWithValues<MetricValue<string>>[];
      const perTenant = new Map<string, { family: string; labels: Partial<Record<string, string | number>> }[]>();
      for (const fam of families) {
        if (OWN.has(fam.name)) continue;
        for (const v of fam.values) {
          const t = v.labels.tenant;
          if (typeof t !== 'string') continue;
          // histogram buckets/sum/count are one series set per label set: count the _count sample only
          const name = (v as { metricName?: string }).metricName;
          if (name && (name.endsWith('_bucket') || name.endsWith('_sum'))) continue;
          let list = perTenant.get(t);
          if (!list) perTenant.set(t, (list = []));
          list.push({ family: fam.name, labels: v.labels });
        }
      }
      const over = new Map<string, number>();
      for (const [tenant, list] of perTenant) {
        seenTenants.add(tenant);
        if (list.length > opts.maxSeriesPerTenant) {
          const excess = list.slice(opts.maxSeriesPerTenant);
          for (const s of excess) {
            const metric = registry.getSingleMetric(s.family);
            const labels = { ...s.labels };
            delete labels.le;
            delete labels.quantile;
            metric?.remove(labels as Record<string, string>);
          }
          overflow.inc({ tenant }, excess.length);
          over.set(tenant, excess.length);
          logger.warn('tenant over its series limit: newest series dropped', {
            tenant,
            series: list.length,
            limit: opts.maxSeriesPerTenant,
            dropped: excess.length,
            remedy: 'raise collector.maxSeriesPerTenant or turn off per-query series (topStatementsPerTenant)',
          });
        }
        series.set({ tenant }, Math.min(list.length, opts.maxSeriesPerTenant));
      }
      // a tenant that went away has its own guard series removed too
      for (const t of [...seenTenants]) {
        if (!perTenant.has(t)) {
          series.remove({ tenant: t });
          seenTenants.delete(t);
        }
      }
      return over;
    },
  };
}
