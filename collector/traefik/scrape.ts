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
 *
 * This runs every scrape over ~41,000 samples at 1,000 tenants (4 codes × counters, 7 histogram
 * samples each), so the loop allocates as little as it can: the tenant is resolved once per
 * service (or router) per scrape, not per sample; a series' previous value is found without
 * building a key string and updated in place, marked with the scrape's generation instead of a
 * `seen` set (SeriesDeltas below): no garbage per sample.
 */
import type { Family } from '../exposition/index.js';
import { parseSampleValue } from '../exposition/index.js';
import type { TraefikIdentity } from '../../tenancy/index.js';
import { counterIncrement } from '../series.js';

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

/**
 * label names of the sample being read, sorted in place in `scratch[0, n)`; returns n. No array per
 * sample, and no `scratch.length = 0` either: V8 drops an array's backing store when its length is
 * set to 0, so the next push allocated a new one — one per sample, tens of thousands per scrape at
 * 1,000 services (seen in an allocation profile of the collector).
 */
const scratch: string[] = [];

function sortLabelNames(labels: Record<string, string>): number {
  let n = 0;
  for (const k in labels) {
    let i = n;
    if (n === scratch.length) scratch.push(k);
    n++;
    while (i > 0 && scratch[i - 1]! > k) {
      scratch[i] = scratch[i - 1]!;
      i--;
    }
    scratch[i] = k;
  }
  return n;
}

/**
 * A copy of `s` that does not point into another string. The parser's label values are slices of
 * the whole scrape text (V8 sliced strings): keeping one as a map key would keep that scrape's whole
 * text alive until the series goes away (seen in a heap snapshot of the collector).
 * Flattening a fresh concatenation and slicing it leaves a string that refers only to that copy.
 */
function own(s: string): string {
  const copy = ` ${s}`;
  copy.charCodeAt(1); // flattens the concatenation in place
  return copy.slice(1);
}

/**
 * One owned copy (see own()) per distinct string the series trie is keyed by. A label value
 * repeats along many paths — a service name under each of its series, ~40 per Traefik service — and
 * one copy per trie node was 40,000 copies of 1,000 service names (seen in a heap snapshot of the
 * collector at 1,000 services).
 */
class Interned {
  private strings = new Map<string, string>();

  of(s: string): string {
    let o = this.strings.get(s);
    if (o === undefined) {
      o = own(s);
      // keyed by the copy too: a key pointing into the scrape text would keep that alive
      this.strings.set(o, o);
    }
    return o;
  }

  /** keeps only the strings some node of `root` is keyed by (after nodes were removed) */
  retain(root: SeriesNode): void {
    const live = new Map<string, string>();
    const walk = (n: SeriesNode): void =>
      n.children?.forEach((c, k) => {
        live.set(k, k);
        walk(c);
      });
    walk(root);
    this.strings = live;
  }
}

/**
 * One level of the series trie: sample name, then label name and label value alternately, in
 * label-name order. A node reached by a series' whole path holds that series' last value.
 */
class SeriesNode {
  children: Map<string, SeriesNode> | undefined = undefined;
  has = false;
  value = 0;
  generation = 0;

  child(key: string, interned: Interned): SeriesNode {
    const c = (this.children ??= new Map());
    let n = c.get(key);
    if (n === undefined) c.set(interned.of(key), (n = new SeriesNode()));
    return n;
  }
}

/**
 * Counter increments per source series with CounterDeltas' semantics (counterIncrement()'s reset rule;
 * non-finite values count 0), kept in place across scrapes. Series are found through a trie of the
 * strings the parser already made rather than a key string per sample, as CounterDeltas keys them (a
 * long key string per sample is garbage on every scrape, and a Traefik scrape has tens of thousands).
 */
class SeriesDeltas {
  private root = new SeriesNode();
  private interned = new Interned();
  private generation = 0;
  /** set when prune() removed a node: the interned strings are then re-gathered */
  private removed = false;

  /** starts a scrape: series not seen again before the next endScrape() are forgotten then */
  beginScrape(): void {
    this.generation++;
  }

  delta(name: string, labels: Record<string, string>, value: number, fromZero: boolean): number {
    const interned = this.interned;
    let n = this.root.child(name, interned);
    const names = sortLabelNames(labels);
    for (let i = 0; i < names; i++) {
      const k = scratch[i]!;
      n = n.child(k, interned).child(labels[k]!, interned);
    }
    if (!n.has) {
      if (!fromZero) {
        // no history: this value is the baseline
        if (Number.isFinite(value)) {
          n.has = true;
          n.value = value;
          n.generation = this.generation;
        }
        return 0;
      }
      n.has = true;
      n.value = 0;
    }
    n.generation = this.generation;
    if (!Number.isFinite(value)) return 0;
    const prev = n.value;
    n.value = value;
    return counterIncrement(prev, value);
  }

  /** a series gone from this scrape must count from zero if it returns */
  endScrape(): void {
    this.removed = false;
    this.prune(this.root);
    if (this.removed) this.interned.retain(this.root);
  }

  /** forgets series not seen in this scrape; true when nothing is left under `n` */
  private prune(n: SeriesNode): boolean {
    if (n.has && n.generation !== this.generation) n.has = false;
    if (n.children) {
      // forEach, not for…of: no [key, value] array per entry (deleting the current entry is allowed)
      n.children.forEach((c, k, m) => {
        if (this.prune(c)) {
          m.delete(k);
          this.removed = true;
        }
      });
      if (n.children.size === 0) n.children = undefined;
    }
    return !n.has && n.children === undefined;
  }

  clear(): void {
    this.root = new SeriesNode();
    this.interned = new Interned();
  }
}

const CODE_CLASSES = new Map<string, string>();
/** codeClass() of a code label, memoised: a handful of codes, seen tens of thousands of times per scrape */
function codeClassOf(code: string): string {
  let c = CODE_CLASSES.get(code);
  if (c === undefined) {
    c = codeClass(code);
    if (CODE_CLASSES.size < 1000) CODE_CLASSES.set(own(code), c);
  }
  return c;
}

export class TraefikScrapeReader {
  private readonly deltas = new SeriesDeltas();
  private startTime: number | undefined;
  private scrapes = 0;

  read(families: ReadonlyMap<string, Family>, resolve: (id: TraefikIdentity) => string): ScrapeReading {
    const startTime = samplesOf(families, 'process_start_time_seconds')[0]?.value;
    const restarted = this.startTime !== undefined && startTime !== undefined && startTime !== this.startTime;
    if (startTime !== undefined) this.startTime = startTime;
    if (restarted) this.deltas.clear();
    // the first scrape only sets the baseline (what Traefik counted before we watched is not a rate);
    // after it, a series we have not seen was born since the last scrape and counts from zero
    const fromZero = this.scrapes > 0;
    this.scrapes++;
    this.deltas.beginScrape();
    const inc = (sampleName: string, labels: Record<string, string>, value: number): number => this.deltas.delta(sampleName, labels, value, fromZero);

    const level: ScrapeReading['level'] =
      samplesOf(families, 'traefik_service_requests_total').length > 0 ? 'service' : samplesOf(families, 'traefik_router_requests_total').length > 0 ? 'router' : 'none';
    const tenants = new Map<string, TenantScrape>();
    // the tenant of a service (or router and service) is resolved once per scrape, not once per sample
    const byService = new Map<string, TenantScrape>();
    const byRouter = new Map<string, TenantScrape>();
    const tenantOf = (labels: Record<string, string>, lvl: 'service' | 'router'): TenantScrape => {
      const memo = lvl === 'service' ? byService : byRouter;
      const memoKey = lvl === 'service' ? (labels.service ?? '\u0000') : `${labels.router ?? '\u0000'}\u0001${labels.service ?? '\u0000'}`;
      const known = memo.get(memoKey);
      if (known) return known;
      const id: TraefikIdentity = lvl === 'service' ? { service: labels.service } : { router: labels.router, service: labels.service };
      const tenant = resolve(id);
      let t = tenants.get(tenant);
      if (!t) tenants.set(tenant, (t = { requests: new Map(), authFailures: 0, requestBytes: 0, responseBytes: 0, duration: undefined, openConnections: undefined }));
      memo.set(memoKey, t);
      return t;
    };

    if (level !== 'none') {
      const p = `traefik_${level}_`;
      for (const s of samplesOf(families, p + 'requests_total')) {
        const t = tenantOf(s.labels, level);
        const d = inc(s.name, s.labels, s.value);
        const code = s.labels.code ?? '';
        const cls = codeClassOf(code);
        t.requests.set(cls, (t.requests.get(cls) ?? 0) + d);
        if (isAuthFailure(code)) t.authFailures += d;
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
    this.deltas.endScrape();
    return { tenants, level, restarted };
  }
}
