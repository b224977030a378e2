/**
 * Per-tenant series limit over the whole registry. After each collection cycle the guard counts
 * series per `tenant` label; a tenant over `maxSeriesPerTenant` has its newest excess series removed,
 * and the overflow is counted and logged per tenant — bounded, but never silently truncated.
 * The default limit is far below Mimir's 150,000 active series per tenant, so one runaway tenant
 * (e.g. a per-query opt-in gone wild) cannot push the whole exposition over a remote-write limit.
 */
import { Counter, Gauge, type Registry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { Logger } from '../lib/log.js';
import { labelKey } from './series.js';

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
  const dropped = new Map<string, Set<string>>();
  const seriesKey = (family: string, labels: Partial<Record<string, string | number>>) => {
    const l = { ...labels };
    delete l.le;
    delete l.quantile;
    return `${family}\u0000${labelKey(l as Record<string, string>)}`;
  };
  const removeSeries = (s: { family: string; labels: Partial<Record<string, string | number>> }) => {
    const labels = { ...s.labels };
    delete labels.le;
    delete labels.quantile;
    registry.getSingleMetric(s.family)?.remove(labels as Record<string, string>);
  };

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
        // collectors write a dropped series again on their next poll: it stays dropped (sticky) and is
        // counted once, so the exposition does not flap and counters do not fake resets
        const sticky = dropped.get(tenant) ?? new Set<string>();
        const keep: typeof list = [];
        const present = new Set<string>();
        for (const s of list) {
          const key = seriesKey(s.family, s.labels);
          present.add(key);
          if (sticky.has(key)) removeSeries(s);
          else keep.push(s);
        }
        for (const k of sticky) if (!present.has(k)) sticky.delete(k); // no longer written: forget it
        if (keep.length > opts.maxSeriesPerTenant) {
          const excess = keep.slice(opts.maxSeriesPerTenant);
          for (const s of excess) {
            removeSeries(s);
            sticky.add(seriesKey(s.family, s.labels));
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
        if (sticky.size) dropped.set(tenant, sticky);
        else dropped.delete(tenant);
        series.set({ tenant }, Math.min(keep.length, opts.maxSeriesPerTenant));
      }
      // a tenant that went away has its own guard series removed too
      for (const t of [...seenTenants]) {
        if (!perTenant.has(t)) {
          series.remove({ tenant: t });
          overflow.remove({ tenant: t });
          dropped.delete(t);
          seenTenants.delete(t);
        }
      }
      return over;
    },
  };
}
