/**
 * The analysis subsystem as `run` wires it: each tick the analyzer reads signals, findings and
 * bands are stored, exported as metrics and posted to Alertmanager, and a new finding is announced
 * on the console with its evidence. A failing step is logged and the others still happen; the
 * last good result keeps being served.
 */
import { Gauge, type Registry } from 'prom-client';
import type { Analyzer, AnalysisResult, Finding } from '../analyzer/index.js';
import type { Storage } from '../store/index.js';
import type { AlertmanagerNotifier } from '../alerts/index.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/log.js';
import { describeError, TenantscopeError } from '../lib/errors.js';
import { createLoop, type Loop } from '../lib/loop.js';
import { StaleSeries } from '../collector/series.js';

export interface AnalysisServiceDeps {
  analyzer: Analyzer;
  storage?: Storage | undefined;
  notifier?: AlertmanagerNotifier | undefined;
  registry: Registry;
  clock: Clock;
  logger: Logger;
}

export interface AnalysisService {
  readonly loop: Loop;
  /** the last result of the live loop (undefined before the first tick) */
  readonly latest: AnalysisResult | undefined;
  tickOnce(): Promise<AnalysisResult>;
  /** the live result; before the first tick has finished, waits for it (never runs a second one beside it) */
  current(): Promise<AnalysisResult>;
  analyze(window: { from: Date; to: Date }): Promise<AnalysisResult>;
}

export function describeFinding(f: Finding): string {
  // the most degraded victims first; a long tail is counted, not listed (a console line stays readable)
  const ranked = [...f.victims].sort((a, b) => ratio(b) - ratio(a));
  const shown = ranked.slice(0, 3).map((v) => `${v.tenant}${v.signal ? ` (${v.signal} ${fmt(v.baseline)} → ${fmt(v.observed)})` : ''}`);
  const victims = shown.join(', ') + (ranked.length > 3 ? ` and ${ranked.length - 3} more` : '');
  const where = `${f.resource.kind} ${f.resource.id}${f.resource.mechanism ? ` through ${f.resource.mechanism}` : ''}`;
  const head =
    f.kind === 'noisy-neighbor'
      ? `noisy neighbour ${f.suspect?.tenant ?? '?'}${f.suspect?.share !== undefined ? ` (share ${pct(f.suspect.share)}${f.suspect.baselineShare !== undefined ? `, normally ${pct(f.suspect.baselineShare)}` : ''})` : ''} degrades ${victims} on ${where}`
      : f.kind === 'platform-degradation'
        ? `platform degradation on ${where}: ${victims}, no tenant to blame`
        : `tenant degradation: ${victims} on ${where}, not caused by neighbours`;
  return `${head} since ${f.start} (confidence ${f.confidence.toFixed(2)}, ${f.severity})`;
}

const ratio = (v: { baseline?: number | undefined; observed?: number | undefined }) => (v.baseline && v.observed ? v.observed / v.baseline : 0);
const fmt = (v: number | undefined) => (v === undefined ? '?' : v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toPrecision(2));
const pct = (v: number) => `${(v * 100).toFixed(0)}%`;

export function createAnalysisService(opts: { tickMs: number }, deps: AnalysisServiceDeps): AnalysisService {
  const { analyzer, storage, notifier, logger } = deps;
  const r = [deps.registry];
  const open = new Gauge({
    name: 'tenantscope_finding_open',
    help: '1 while a finding is open: who (suspect) hurts what (resource, mechanism)',
    labelNames: ['kind', 'resource_kind', 'resource', 'mechanism', 'suspect', 'severity'],
    registers: r,
  });
  const victim = new Gauge({
    name: 'tenantscope_tenant_victim',
    help: '1 while the tenant is a victim in an open finding on the resource',
    labelNames: ['tenant', 'resource_kind', 'resource', 'kind'],
    registers: r,
  });
  const band = new Gauge({ name: 'tenantscope_tenant_band', help: 'workload band of the tenant: 0 low, 1 medium, 2 high', labelNames: ['tenant', 'tier'], registers: r });
  const mismatch = new Gauge({ name: 'tenantscope_tenant_band_mismatch', help: '1 when the band disagrees with the tier (high on shared, low on dedicated)', labelNames: ['tenant'], registers: r });
  const stale = new StaleSeries();
  const announced = new Set<string>();
  let latest: AnalysisResult | undefined;

  const publish = (result: AnalysisResult) => {
    for (const f of result.findings) {
      if (f.end !== null && f.end !== undefined) continue;
      open.set(stale.touch(open, { kind: f.kind, resource_kind: f.resource.kind, resource: f.resource.id, mechanism: f.resource.mechanism ?? '', suspect: f.suspect?.tenant ?? '', severity: f.severity }), 1);
      for (const v of f.victims) victim.set(stale.touch(victim, { tenant: v.tenant, resource_kind: f.resource.kind, resource: f.resource.id, kind: f.kind }), 1);
    }
    for (const b of result.bands) {
      band.set(stale.touch(band, { tenant: b.tenant, tier: b.tier ?? '' }), b.band === 'low' ? 0 : b.band === 'medium' ? 1 : 2);
      mismatch.set(stale.touch(mismatch, { tenant: b.tenant }), b.mismatch ? 1 : 0);
    }
    stale.sweep();
  };

  const announce = (result: AnalysisResult) => {
    const present = new Set(result.findings.map((f) => f.id));
    for (const id of announced) if (!present.has(id)) announced.delete(id); // vanished without an end: forget it
    for (const f of result.findings) {
      if (announced.has(f.id)) {
        if (f.end) {
          logger.info(`resolved: ${f.kind} on ${f.resource.kind} ${f.resource.id}`, { finding: f.id, end: f.end });
          announced.delete(f.id);
        }
        continue;
      }
      if (f.end) continue;
      announced.add(f.id);
      const evidence = (f.evidence ?? []).slice(0, 3).map((e) => JSON.stringify(e));
      logger.warn(`FINDING ${describeFinding(f)}`, { finding: f.id, evidence: evidence.length ? evidence.join('; ') : undefined });
    }
  };

  let lastSummary = '';
  const tickOnce = async (): Promise<AnalysisResult> => {
    const result = await analyzer.tick();
    latest = result;
    publish(result);
    announce(result);
    const openFindings = result.findings.filter((f) => !f.end);
    const summary = `${result.bands.length} tenants banded, ${openFindings.length} open finding(s)${openFindings.length ? ` (${[...new Set(openFindings.map((f) => f.kind))].join(', ')})` : ''}`;
    if (summary !== lastSummary) logger.info(`analysis: ${summary}`, { window: `${result.window.from}..${result.window.to}` });
    lastSummary = summary;
    if (storage) {
      // each step on its own: a storage outage must not stop alerts, and the reverse
      await storage.upsertFindings(result.findings).catch((err: unknown) => logger.error('storing findings failed; kept in memory, retried next tick', { error: describeError(err) }));
      await storage
        .recordBands(result.bands.map((b) => ({ tenant: b.tenant, band: b.band, at: result.window.to, features: b.features ?? {}, tier: b.tier ?? null, mismatch: b.mismatch ?? false })))
        .catch((err: unknown) => logger.error('storing bands failed; retried next tick', { error: describeError(err) }));
    }
    if (notifier) await notifier.sync(result.findings);
    return result;
  };

  // immediate: the API has a result as soon as the first tick ends instead of after one interval
  const tick = async () => {
    await tickOnce();
    // the baselines refreshed after the result is out: part of the loop's tick, so stopping the loop waits for it
    await analyzer.idle();
  };
  const loop = createLoop({ name: 'analysis', intervalMs: opts.tickMs, logger, immediate: true, tick });
  let firstTick: Promise<void> | undefined;

  return {
    loop,
    get latest() {
      return latest;
    },
    tickOnce,
    async current() {
      if (latest) return latest;
      firstTick ??= loop.runOnce().finally(() => (firstTick = undefined));
      await firstTick;
      if (!latest) throw new TenantscopeError('TS_SOURCE_FAILED', 'the first analysis tick failed — see the log for its error; the next tick retries', { httpStatus: 503 });
      return latest;
    },
    analyze: async ({ from, to }) => {
      const result = await analyzer.analyze({ fromMs: from.getTime(), toMs: to.getTime() });
      if (!storage) return result;
      // episodes the live loop stored stay part of the answer even when the signals aged out of retention
      const stored = await storage.listFindings({ from: from.toISOString(), to: to.toISOString() }).catch((err: unknown) => {
        logger.warn('stored findings not merged into the answer: storage unreadable', { storage: storage.where, error: describeError(err), remedy: 'check storage.url / the data dir' });
        return [];
      });
      const ids = new Set(result.findings.map((f) => f.id));
      return { ...result, findings: [...result.findings, ...stored.filter((f) => !ids.has(f.id)).map((f) => f as unknown as Finding)] };
    },
  };
}
