/**
 * Per-tenant series limit over the whole registry. After each collection cycle the guard counts
 * series per `tenant` label; a tenant over `maxSeriesPerTenant` has its newest excess series removed,
 * and the overflow is counted and logged per tenant — bounded, but never silently truncated.
 * The default limit is far below Mimir's 150,000 active series per tenant, so one runaway tenant
 * (e.g. a per-query opt-in gone wild) cannot push the whole exposition over a remote-write limit.
 *
 * The series are read from each metric's own per-series map (prom-client 15's `hashMap`), not from
 * `registry.getMetricsAsJSON()`: at 1,000 tenants that call built a value object and a merged
 * labels object for every sample (every histogram bucket too): garbage proportional to the whole
 * exposition, every scrape interval. A custom collector can list its label sets itself
 * (`labelSets()`, collector/traefik/forwarded-histogram.ts); other metrics this does not know the
 * inside of (custom collectors without it, metrics with a collect() hook) and
 * registries with a default `tenant` label go through `get()` as before; metrics without a
 * `tenant` label name are skipped, they cannot hold a tenant's series.
 */
import { Counter, Gauge, type Registry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { Logger } from '../lib/log.js';
import { labelKey, ownSeriesKind } from './series.js';

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
  const seriesKey = (family: string, labels: SeriesLabels) => `${family}\u0000${labelKey(seriesSetLabels(labels))}`;
  const removeSeries = (s: SeriesRef) => {
    registry.getSingleMetric(s.family)?.remove(seriesSetLabels(s.labels));
  };

  return {
    async enforce() {
      // One pass: a count per tenant, and series listed only where they are needed — past the limit
      // (the excess, in order), or every series of a tenant with sticky drops. The usual pass makes
      // no object per series (at 1,000 tenants that would be ~60,000 every collection interval).
      const max = opts.maxSeriesPerTenant;
      const counts = new Map<string, number>();
      const listed = new Map<string, SeriesRef[]>();
      await forEachTenantSeries(registry, (tenant, family, labels) => {
        const n = (counts.get(tenant) ?? 0) + 1;
        counts.set(tenant, n);
        if (n <= max && !dropped.has(tenant)) return;
        let list = listed.get(tenant);
        if (!list) listed.set(tenant, (list = []));
        list.push({ family, labels });
      });
      const over = new Map<string, number>();
      for (const [tenant, count] of counts) {
        seenTenants.add(tenant);
        const prior = dropped.get(tenant);
        // collectors write a dropped series again on their next poll: it stays dropped (sticky) and is
        // counted once, so the exposition does not flap and counters do not fake resets
        const sticky = prior ?? new Set<string>();
        let kept = count;
        let excess = listed.get(tenant) ?? [];
        if (prior) {
          // every series of the tenant was listed; keys are built only for such a tenant
          const keep: SeriesRef[] = [];
          const present = new Set<string>();
          for (const s of excess) {
            const key = seriesKey(s.family, s.labels);
            present.add(key);
            if (sticky.has(key)) removeSeries(s);
            else keep.push(s);
          }
          for (const k of sticky) if (!present.has(k)) sticky.delete(k); // no longer written: forget it
          kept = keep.length;
          excess = keep.slice(max);
        }
        if (excess.length > 0) {
          for (const s of excess) {
            removeSeries(s);
            sticky.add(seriesKey(s.family, s.labels));
          }
          overflow.inc({ tenant }, excess.length);
          over.set(tenant, excess.length);
          logger.warn('tenant over its series limit: newest series dropped', {
            tenant,
            series: count,
            limit: max,
            dropped: excess.length,
            remedy: 'raise collector.maxSeriesPerTenant or turn off per-query series (topStatementsPerTenant)',
          });
        }
        if (sticky.size) dropped.set(tenant, sticky);
        else dropped.delete(tenant);
        series.set({ tenant }, Math.min(kept, max));
      }
      // a tenant that went away has its own guard series removed too
      for (const t of [...seenTenants]) {
        if (!counts.has(t)) {
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

type SeriesLabels = Partial<Record<string, string | number>>;
interface SeriesRef {
  family: string;
  labels: SeriesLabels;
}

/** the labels of a sample's series set: a histogram's `le` and a summary's `quantile` left out */
function seriesSetLabels(labels: SeriesLabels): Record<string, string> {
  const l = { ...labels };
  delete l.le;
  delete l.quantile;
  return l as Record<string, string>;
}

/** the parts of a prom-client 15 Counter/Gauge/Histogram read here: one entry per label set */
interface MetricInternals {
  name: string;
  labelNames?: readonly string[];
  collect?: unknown;
  hashMap?: Record<string, { labels?: SeriesLabels } | undefined>;
  /** custom collectors may list the label sets of their series (one per series set) instead of get() */
  labelSets?: () => Iterable<SeriesLabels>;
}

/**
 * Calls `add` for every series with a `tenant` label, in registry order and, within a metric, in the
 * order the series were created (the order prom-client's get() lists them, which "newest excess
 * series" relies on). A histogram is one series per label set, as its `_count` sample.
 */
async function forEachTenantSeries(registry: Registry, add: (tenant: string, family: string, labels: SeriesLabels) => void): Promise<void> {
  const defaults = (registry as unknown as { _defaultLabels?: Record<string, unknown> })._defaultLabels;
  const tenantByDefault = defaults !== undefined && defaults.tenant !== undefined;
  for (const metric of registry.getMetricsAsArray()) {
    const m = metric as unknown as MetricInternals;
    if (OWN.has(m.name)) continue;
    if (!tenantByDefault && Array.isArray(m.labelNames) && !m.labelNames.includes('tenant')) continue;
    // prom-client's own series map, and no collect() hook that could change it before a scrape
    const fast = ownSeriesKind(metric) !== undefined && m.collect === undefined;
    if (fast && !tenantByDefault) {
      for (const key in m.hashMap) {
        const labels = m.hashMap[key]?.labels;
        const t = labels?.tenant;
        if (typeof t === 'string') add(t, m.name, labels!);
      }
      continue;
    }
    if (typeof m.labelSets === 'function' && !tenantByDefault) {
      // a custom collector that lists its label sets (collector/traefik/forwarded-histogram.ts)
      for (const labels of m.labelSets()) {
        const t = labels.tenant;
        if (typeof t === 'string') add(t, m.name, labels);
      }
      continue;
    }
    // prom-client's own snapshot, with the registry's default labels merged as getMetricsAsJSON() does
    const fam = (await (metric as unknown as { get(): Promise<MetricObjectWithValues<MetricValue<string>>> }).get());
    for (const v of fam.values) {
      const labels: SeriesLabels = tenantByDefault ? { ...(defaults as SeriesLabels), ...v.labels } : v.labels;
      const t = labels.tenant;
      if (typeof t !== 'string') continue;
      // histogram buckets/sum/count are one series set per label set: count the _count sample only
      const name = (v as { metricName?: string }).metricName;
      if (name && (name.endsWith('_bucket') || name.endsWith('_sum'))) continue;
      add(t, fam.name, labels);
    }
  }
}
