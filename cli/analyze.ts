/**
 * `tenantscope analyze`: one analysis of a past window, from a replay file, the configured query
 * API, or the embedded store's snapshot that `run` keeps in the data dir. JSON is the contract
 * (analyzer/contract); the table is for people, with a chart of the worst finding.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import asciichart from 'asciichart';
import type { Config } from '../config/index.js';
import type { TenantResolver } from '../tenancy/index.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/log.js';
import { RequestError, redactUrl } from '../lib/errors.js';
import { parseTimeArg, TIME_ARG_FORMS } from '../lib/time.js';
import {
  createAnalyzer,
  createPrometheusSignalSource,
  createSignalStore,
  loadReplayFile,
  type AnalysisResult,
  type Finding,
  type SignalSource,
} from '../analyzer/index.js';
import { isSignalName, SNAPSHOT_FILE } from '../analyzer/signals/index.js';
import { describeFinding } from './analysis.js';

export interface AnalyzeOptions {
  from?: string | undefined;
  to?: string | undefined;
  replay?: string | undefined;
}

export async function openSignals(config: Config, opts: AnalyzeOptions, deps: { resolver: TenantResolver; clock: Clock }): Promise<{ source: SignalSource; what: string }> {
  if (opts.replay) return { source: await loadReplayFile(opts.replay, { resolutionMs: config.collector.scrapeIntervalMs }), what: `replay file ${opts.replay}` };
  const prom = config.sources.prometheus;
  if (prom) {
    return {
      source: createPrometheusSignalSource({ url: prom.url, orgId: prom.orgId, headers: prom.headers, timeoutMs: prom.timeoutMs }, { resolver: deps.resolver }),
      what: `query API ${redactUrl(prom.url)}`,
    };
  }
  const file = join(resolve(config.storage.dataDir), SNAPSHOT_FILE);
  if (!existsSync(file)) {
    throw new RequestError(
      `no signals to analyze: no --replay file, no sources.prometheus, and no snapshot at ${file} — run \`tenantscope run\` first (it keeps one), point sources.prometheus at your Prometheus, or pass --replay FILE`,
    );
  }
  const store = createSignalStore({ resolutionMs: config.collector.scrapeIntervalMs, retentionMs: config.analyzer.retentionHours * 3_600_000 });
  await store.load(file, deps.clock.now());
  return { source: store, what: `embedded snapshot ${file}` };
}

function parseTime(name: string, raw: string | undefined, fallback: number, nowMs: number): number {
  if (raw === undefined) return fallback;
  const t = parseTimeArg(raw, nowMs);
  if (Number.isNaN(t)) throw new RequestError(`--${name} ${JSON.stringify(raw)} is not a time — use ${TIME_ARG_FORMS}`);
  return t;
}

export async function runAnalyze(config: Config, opts: AnalyzeOptions, deps: { resolver: TenantResolver; clock: Clock; logger: Logger }): Promise<{ result: AnalysisResult; source: SignalSource }> {
  const { source, what } = await openSignals(config, opts, deps);
  const now = deps.clock.now();
  const toMs = parseTime('to', opts.to, now, now);
  const fromMs = parseTime('from', opts.from, toMs - 3_600_000, now);
  if (fromMs >= toMs) throw new RequestError(`--from (${new Date(fromMs).toISOString()}) must be before --to (${new Date(toMs).toISOString()})`);
  deps.logger.info('analyzing', { source: what, from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString() });
  const analyzer = createAnalyzer({ stepMs: config.collector.scrapeIntervalMs }, { signals: source, clock: deps.clock, logger: deps.logger, resolver: deps.resolver });
  return { result: await analyzer.analyze({ fromMs, toMs }), source };
}

const pad = (s: string, n: number) => (s.length >= n ? s.slice(0, n - 1) + '…' : s.padEnd(n));

export async function renderTable(result: AnalysisResult, source: SignalSource | undefined, width = 100): Promise<string> {
  const out: string[] = [`window ${result.window.from} → ${result.window.to}`, ''];
  if (result.findings.length === 0) out.push('no findings: no tenant degraded beyond its own baseline in this window');
  else {
    out.push(`${pad('kind', 22)}${pad('resource', 22)}${pad('mechanism', 14)}${pad('suspect', 18)}${pad('victims', 28)}${pad('start', 22)}${pad('end', 22)}conf  severity`);
    for (const f of result.findings) {
      out.push(
        `${pad(f.kind, 22)}${pad(`${f.resource.kind}/${f.resource.id}`, 22)}${pad(f.resource.mechanism ?? '', 14)}${pad(f.suspect ? `${f.suspect.tenant}${f.suspect.share !== undefined ? ` ${(f.suspect.share * 100).toFixed(0)}%` : ''}` : '', 18)}${pad(f.victims.map((v) => v.tenant).join(','), 28)}${pad(f.start.slice(0, 19), 22)}${pad(f.end ? f.end.slice(0, 19) : 'ongoing', 22)}${f.confidence.toFixed(2)}  ${f.severity}`,
      );
    }
    out.push('', ...result.findings.map((f) => `- ${describeFinding(f)}`));
    const worst = [...result.findings].sort((a, b) => sev(b) - sev(a) || b.confidence - a.confidence)[0]!;
    const chart = source ? await chartOf(worst, result, source, width) : undefined;
    if (chart) out.push('', chart);
  }
  if (result.bands.length) {
    out.push('', 'workload bands:');
    const by = { high: [] as string[], medium: [] as string[], low: [] as string[] };
    for (const b of result.bands) by[b.band].push(`${b.tenant}${b.mismatch ? ` (! ${b.tier})` : ''}`);
    for (const k of ['high', 'medium', 'low'] as const) out.push(`  ${k.padEnd(6)} ${by[k].length ? by[k].join(', ') : '-'}`);
    const mism = result.bands.filter((b) => b.mismatch);
    if (mism.length) out.push(`  ${mism.length} tenant(s) on a tier that does not fit their band: ${mism.map((b) => `${b.tenant} (${b.band} on ${b.tier})`).join(', ')}`);
  }
  if (result.warnings?.length) out.push('', `warnings: ${result.warnings.slice(0, 5).join('; ')}`);
  return out.join('\n') + '\n';
}

const sev = (f: Finding) => (f.severity === 'critical' ? 2 : f.severity === 'warning' ? 1 : 0);

/** The victims' degraded signal over the window, so the episode can be seen, not only read. */
async function chartOf(f: Finding, result: AnalysisResult, source: SignalSource, width: number): Promise<string | undefined> {
  const named = f.victims.find((v) => v.signal && isSignalName(v.signal))?.signal;
  if (!named || !isSignalName(named)) return undefined;
  const signal = named;
  const fromMs = Date.parse(result.window.from);
  const toMs = Date.parse(result.window.to);
  const points = Math.min(width - 12, 90);
  const stepMs = Math.max(1000, Math.ceil((toMs - fromMs) / points / 1000) * 1000);
  const range = await source.range({ signals: [signal] }, fromMs, toMs, stepMs);
  const victims = new Set(f.victims.map((v) => v.tenant));
  const series = range.series.filter((s) => victims.has(s.tenant) && s.resource === f.resource.id).slice(0, 4);
  if (series.length === 0) return undefined;
  const lines = series.map((s) => {
    const vals = Array.from(s.values);
    let last = vals.find((v) => Number.isFinite(v)) ?? 0;
    return vals.map((v) => (Number.isFinite(v) ? (last = v) : last)); // gaps drawn flat: the chart is a picture, the JSON keeps NaN as unknown
  });
  const colors = [asciichart.blue, asciichart.red, asciichart.green, asciichart.yellow];
  const plot = asciichart.plot(lines, { height: 10, colors: colors.slice(0, lines.length) });
  return `${signal} of the victims on ${f.resource.kind} ${f.resource.id} (${series.map((s) => s.tenant).join(', ')}; one column = ${stepMs / 1000} s):\n${plot}`;
}
