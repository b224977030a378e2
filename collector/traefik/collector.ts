/**
 * The Traefik collector: one per `sources.traefik[]` entry (one ingress). Two inputs on their own
 * cadence: the metrics scrape (every options.scrapeIntervalMs) and the access-log tail (every
 * options.logPollIntervalMs). Which input feeds which family is decided once, here, from the config
 * (see the table in ./metrics.ts): when an access log is configured it owns the traffic families.
 */
import { describeError, redactUrl, SourceError } from '../../lib/errors.js';
import { createLoop, type Loop } from '../../lib/loop.js';
import { UNATTRIBUTED_TENANT, type TraefikIdentity } from '../../tenancy/index.js';
import type { TraefikSourceConfig } from '../../config/index.js';
import { parseExposition } from '../exposition/index.js';
import type { Collector, CollectorDeps } from '../types.js';
import { SeriesWriter } from '../series.js';
import { AccessLogBatch } from './access-log.js';
import { ingressMetricsFor } from './metrics.js';
import { TraefikScrapeReader } from './scrape.js';
import { FileTailer } from './tail.js';

/** bound on `routedTenants` below; far above any real fleet, it only keeps memory finite */
const MAX_ROUTED_TENANTS = 100_000;

export function createTraefikCollector(source: TraefikSourceConfig, deps: CollectorDeps): Collector {
  const ingress = source.name;
  const opts = source.options;
  const m = ingressMetricsFor(deps.registry);
  const log = deps.logger.child({ source: 'traefik', ingress });
  const who = `traefik source "${ingress}"`;
  const resolve = deps.resolver.traefik.bind(deps.resolver);
  // Tenants proven by a router or service Traefik routes to. A request that matched no router is
  // attributed by its Host header only to such a tenant or a declared one: the Host is chosen by
  // the client, and a scanner trying random subdomains must not mint a tenant (and its series) each.
  const routedTenants = new Set<string>();
  const resolveRouted = (id: TraefikIdentity): string => {
    const t = resolve(id);
    if (t !== UNATTRIBUTED_TENANT && routedTenants.size < MAX_ROUTED_TENANTS) routedTenants.add(t);
    return t;
  };
  const resolveLine = (id: TraefikIdentity): string => {
    if (id.router !== undefined || id.service !== undefined) return resolveRouted(id);
    const t = resolve(id);
    return routedTenants.has(t) || deps.resolver.tenant(t) !== undefined ? t : UNATTRIBUTED_TENANT;
  };
  const trafficFromLog = source.accessLog !== undefined;

  const reader = new TraefikScrapeReader();
  const series = new SeriesWriter();
  const tailer = source.accessLog !== undefined ? new FileTailer(source.accessLog, { fromStart: opts.logFromStart, maxBytesPerPoll: opts.logMaxBytesPerPoll }) : undefined;
  /** log-fed series per tenant, with the last time a line came in (injected clock) */
  const logTenants = new Map<string, { lastSeenMs: number; classes: Set<string> }>();
  /** tenants with a forwarded-duration series (StaleSeries only knows prom-client metrics) */
  let durationTenants = new Set<string>();
  let scrapeDown: string | undefined;
  let logMissingReported = false;

  /** remembers since when the scrape fails, for the recovery log line */
  const markDown = (err: SourceError): SourceError => {
    scrapeDown ??= new Date(deps.clock.now()).toISOString();
    return err;
  };

  const scrape = serial(async (): Promise<void> => {
    const url = source.metricsUrl;
    if (url === undefined) return;
    let text: string;
    try {
      const res = await fetchRetryingStaleSocket(url, opts.scrapeTimeoutMs);
      text = await res.text();
      if (!res.ok) throw new SourceError(who, 'scrape', `GET ${redactUrl(url)} answered HTTP ${res.status} — is metrics.prometheus enabled on that entry point? (sources.traefik[].metricsUrl)`);
    } catch (err) {
      m.up.set({ ingress }, 0);
      if (err instanceof SourceError) throw markDown(err);
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const reason = cause?.code ?? cause?.message ?? describeError(err);
      throw markDown(
        new SourceError(who, 'scrape', `GET ${redactUrl(url)} failed: ${reason} — is Traefik running and the metrics entry point reachable? (sources.traefik[].metricsUrl)`, {
          cause: err,
          code: 'TS_SOURCE_UNREACHABLE',
        }),
      );
    }
    const parsed = parseExposition(text);
    for (const [reason, n] of Object.entries(parsed.errors)) m.malformed.inc({ ingress, input: 'metrics', reason }, n);
    if (parsed.samples === 0) {
      m.up.set({ ingress }, 0);
      throw markDown(
        new SourceError(who, 'scrape', `GET ${redactUrl(url)} returned no Prometheus samples (${text.length} bytes) — does the URL point at Traefik's /metrics? (sources.traefik[].metricsUrl)`, {
          code: 'TS_PAYLOAD_INVALID',
        }),
      );
    }
    const reading = reader.read(parsed.families, resolveRouted);
    if (reading.restarted) m.traefikRestarts.inc({ ingress });
    series.begin();
    for (const [tenant, t] of reading.tenants) {
      // series are keyed by tenant (and status class): labels objects are made once per series
      const tl = () => ({ tenant, ingress });
      if (!trafficFromLog) {
        for (const [cls, n] of t.requests) series.inc(m.requests, `${tenant}\u0000${cls}`, () => ({ tenant, ingress, code_class: cls }), n);
        series.inc(m.authFailures, tenant, tl, t.authFailures);
        series.inc(m.requestBytes, tenant, tl, t.requestBytes);
        series.inc(m.responseBytes, tenant, tl, t.responseBytes);
      }
      if (t.duration) m.traefikDuration.add({ tenant, ingress }, t.duration);
      if (t.openConnections !== undefined) series.set(m.openConnections, tenant, tl, t.openConnections);
    }
    const live = new Set(reading.tenants.keys());
    for (const t of durationTenants) if (!live.has(t)) m.traefikDuration.remove({ tenant: t, ingress });
    durationTenants = live;
    series.sweep();
    m.up.set({ ingress }, 1);
    if (scrapeDown !== undefined) log.info('traefik metrics reachable again', { url: redactUrl(url), downSince: scrapeDown });
    scrapeDown = undefined;
  });

  const pollLog = serial(async (): Promise<void> => {
    if (!tailer) return;
    const batch = new AccessLogBatch(resolveLine);
    let poll;
    try {
      poll = await tailer.poll((line) => batch.add(line));
    } catch (err) {
      throw new SourceError(who, 'access log', `reading ${tailer.path} failed: ${describeError(err)} — can this process read the file? (sources.traefik[].accessLog)`, { cause: err });
    } finally {
      // lines read before a failure are applied: the tailer's offset has moved past them
      applyLog(batch);
    }
    for (const kind of poll.rotations) m.logRotations.inc({ ingress, kind });
    if (poll.tooLong > 0) m.malformed.inc({ ingress, input: 'access_log', reason: 'line_too_long' }, poll.tooLong);
    if (poll.missing && tailer.offset === undefined) {
      if (!logMissingReported) log.warn(`${who}: access log ${tailer.path} does not exist yet — waiting for it; is accessLog.filePath set in Traefik's static configuration?`);
      logMissingReported = true;
    } else logMissingReported = false;
  });

  const applyLog = (batch: AccessLogBatch): void => {
    const now = deps.clock.now();
    if (batch.lines > 0) m.logLines.inc({ ingress }, batch.lines);
    for (const [reason, n] of batch.errors) m.malformed.inc({ ingress, input: 'access_log', reason }, n);
    for (const [tenant, t] of batch.tenants) {
      const tl = { tenant, ingress };
      let seen = logTenants.get(tenant);
      if (!seen) logTenants.set(tenant, (seen = { lastSeenMs: now, classes: new Set() }));
      seen.lastSeenMs = now;
      for (const [cls, n] of t.requests) {
        seen.classes.add(cls);
        m.requests.inc({ tenant, ingress, code_class: cls }, n);
      }
      m.authFailures.inc(tl, t.authFailures);
      m.requestBytes.inc(tl, t.requestBytes);
      m.responseBytes.inc(tl, t.responseBytes);
      // one child per tenant: labels are validated and hashed once, not per observation
      const h = m.duration.labels(tl);
      for (const s of t.durationsSeconds) h.observe(s);
    }
    for (const [tenant, seen] of logTenants) {
      if (now - seen.lastSeenMs < opts.logTenantIdleMs) continue;
      const tl = { tenant, ingress };
      for (const cls of seen.classes) m.requests.remove({ tenant, ingress, code_class: cls });
      m.authFailures.remove(tl);
      m.requestBytes.remove(tl);
      m.responseBytes.remove(tl);
      m.duration.remove(tl);
      logTenants.delete(tenant);
    }
  };

  const loops: Loop[] = [];
  if (source.metricsUrl !== undefined) loops.push(createLoop({ name: `traefik ${ingress} scrape`, intervalMs: opts.scrapeIntervalMs, tick: scrape, logger: log, immediate: true }));
  if (tailer) loops.push(createLoop({ name: `traefik ${ingress} access log`, intervalMs: opts.logPollIntervalMs, tick: pollLog, logger: log, immediate: true }));

  return {
    name: `traefik/${ingress}`,
    health: () => (scrapeDown !== undefined ? { ok: false, detail: `metrics unreachable since ${scrapeDown}` } : { ok: true }),
    async start() {
      for (const l of loops) l.start();
    },
    /** one scrape and one log poll; both run even if the first fails, the first failure is rethrown */
    async collect() {
      const results = await Promise.allSettled([scrape(), pollLog()]);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
    async stop() {
      await Promise.all(loops.map((l) => l.stop()));
      // a collect() called from outside may still run: let it finish before the file closes
      await Promise.allSettled([scrape.idle(), pollLog.idle()]);
      await tailer?.close();
    },
  };
}

/**
 * Runs calls of `f` one after the other: collect() from outside and the loop's own tick must not
 * interleave, or two polls of one file would both read the same bytes.
 */
function serial(f: () => Promise<void>): (() => Promise<void>) & { idle(): Promise<void> } {
  let last: Promise<void> = Promise.resolve();
  const run = () => {
    const p = last.then(f, f);
    last = p.catch(() => undefined);
    return p;
  };
  return Object.assign(run, { idle: () => last });
}

/** socket errors that mean "the pooled keep-alive connection was already closed by the server" */
const STALE_SOCKET = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);

/**
 * A GET on a pooled keep-alive connection that the server closed in the meantime (Traefik
 * restarted, a proxy idled it out) fails at once; one retry on a fresh connection is what every
 * HTTP client does for idempotent requests, and keeps a restart from looking like an outage.
 */
async function fetchRetryingStaleSocket(url: string, timeoutMs: number): Promise<Response> {
  const init = { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'text/plain;version=0.0.4' } };
  try {
    return await fetch(url, init);
  } catch (err) {
    const code = (err as { cause?: { code?: string } }).cause?.code;
    if (code === undefined || !STALE_SOCKET.has(code)) throw err;
    return await fetch(url, init);
  }
}
