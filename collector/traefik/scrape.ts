/**
 * Reads one parsed Traefik /metrics exposition into per-tenant increments.
 *
 * Traefik v2 and v3 both export `traefik_service_*` (labels code, method, protocol, service with a
 * provider suffix: `tenant-acme-odoo-8069@kubernetes`) and, when `addRoutersLabels` is on,
 * `traefik_router_*` (router and service). A request is counted in both, so only one level is read:
 * service when it has request samples, router otherwise. Entry-point families carry no tenant and
 * are not re-exported. Bytes families exist from v2.9 on, `*_open_connections` per service/router
 * only in v2 (v3 keeps a global `traefik_open_connections`); what is absent is simply not exported.
 *
 * Counters are turned into increments per *source series* (one service × code × method ×
 * protocol), never per tenant sum, so that one series resetting cannot hide behind another growing.
 * A Traefik restart (process_start_time_seconds changed) makes every series start from zero.
 */
import type { Family } from '../exposition/index.js';
import { parseSampleValue } from '../exposition/index.js';
import { CounterDeltas, labelKey } from '../series.js';
import type { TraefikIdentity } from '../../tenancy/index.js';

export interface DurationIncrement {
  buckets: Map<number, number>;
  sum: number;
  count: number;
}

export interface TenantScrape {
  /** code_class → increment */
  requests: Map<string, number>;
  authFailures: number;
  requestBytes: number;
  responseBytes: number;
  duration: DurationIncrement | undefined;
  /** sum of the open-connection gauges of the tenant's services; undefined when Traefik has none */
  openConnections: number | undefined;
}

export interface ScrapeReading {
  tenants: Map<string, TenantScrape>;
  /** the level the traffic families were read from */
  level: 'service' | 'router' | 'none';
  /** Traefik restarted since the previous scrape */
  restarted: boolean;
}

/** `404` → `4xx`; anything outside 100-599 (Traefik reports 0 for some hijacked connections) → `other` */
export function codeClass(code: string | number): string {
  const n = typeof code === 'number' ? code : Number(code);
  return n >= 100 && n < 600 ? `${Math.floor(n / 100)}xx` : 'other';
}

export function isAuthFailure(code: string | number): boolean {
  const n = typeof code === 'number' ? code : Number(code);
  return n === 401 || n === 403;
}

const samplesOf = (families: ReadonlyMap<string, Family>, name: string) => families.get(name)?.samples ?? [];

export class TraefikScrapeReader {
  private readonly deltas = new CounterDeltas();
  private startTime: number | undefined;
  private scrapes = 0;

  read(families: ReadonlyMap<string, Family>, resolve: (id: TraefikIdentity) => string): ScrapeReading {
    const startTime = samplesOf(families, 'process_start_time_seconds')[0]?.value;
    const restarted = this.startTime !== undefined && startTime !== undefined && startTime !== this.startTime;
    if (startTime !== undefined) this.startTime = startTime;
    if (restarted) this.deltas.forget(() => true);
    // the first scrape only sets the baseline (what Traefik counted before we watched is not a rate);
    // after it, a series we have not seen was born since the last scrape and counts from zero
    const fromZero = this.scrapes > 0;
    this.scrapes++;

    const seen = new Set<string>();
    const inc = (sampleName: string, labels: Record<string, string>, value: number): number => {
      const key = sampleName + '\u0003' + labelKey(labels);
      seen.add(key);
      return fromZero ? this.deltas.deltaFromZero(key, value) : this.deltas.delta(key, value);
    };

    const level: ScrapeReading['level'] =
      samplesOf(families, 'traefik_service_requests_total').length > 0 ? 'service' : samplesOf(families, 'traefik_router_requests_total').length > 0 ? 'router' : 'none';
    const tenants = new Map<string, TenantScrape>();
    const tenantOf = (labels: Record<string, string>, lvl: 'service' | 'router'): TenantScrape => {
      const id: TraefikIdentity = lvl === 'service' ? { service: labels.service } : { router: labels.router, service: labels.service };
      const tenant = resolve(id);
      let t = tenants.get(tenant);
      if (!t) tenants.set(tenant, (t = { requests: new Map(), authFailures: 0, requestBytes: 0, responseBytes: 0, duration: undefined, openConnections: undefined }));
      return t;
    };

    if (level !== 'none') {
      const p = `traefik_${level}_`;
      for (const s of samplesOf(families, p + 'requests_total')) {
        const t = tenantOf(s.labels, level);
        const d = inc(s.name, s.labels, s.value);
        const cls = codeClass(s.labels.code ?? '');
        t.requests.set(cls, (t.requests.get(cls) ?? 0) + d);
        if (isAuthFailure(s.labels.code ?? '')) t.authFailures += d;
      }
      for (const s of samplesOf(families, p + 'requests_bytes_total')) tenantOf(s.labels, level).requestBytes += inc(s.name, s.labels, s.value);
      for (const s of samplesOf(families, p + 'responses_bytes_total')) tenantOf(s.labels, level).responseBytes += inc(s.name, s.labels, s.value);
      for (const s of samplesOf(families, p + 'request_duration_seconds')) {
        const t = tenantOf(s.labels, level);
        const d = inc(s.name, s.labels, s.value);
        const h = (t.duration ??= { buckets: new Map(), sum: 0, count: 0 });
        if (s.name.endsWith('_bucket')) {
          const le = parseSampleValue(s.labels.le ?? '');
          if (le !== undefined && !Number.isNaN(le)) h.buckets.set(le, (h.buckets.get(le) ?? 0) + d);
        } else if (s.name.endsWith('_sum')) h.sum += d;
        else if (s.name.endsWith('_count')) h.count += d;
      }
    }
    // open connections are a gauge: summed as they are; service level first for the same reason as above
    const openLevel = samplesOf(families, 'traefik_service_open_connections').length > 0 ? 'service' : 'router';
    for (const s of samplesOf(families, `traefik_${openLevel}_open_connections`)) {
      if (!Number.isFinite(s.value)) continue;
      const t = tenantOf(s.labels, openLevel);
      t.openConnections = (t.openConnections ?? 0) + s.value;
    }

    // a series gone from the scrape (service removed, Traefik restarted) must count from zero if it returns
    this.deltas.forget((k) => !seen.has(k));
    return { tenants, level, restarted };
  }
}
