/**
 * The HTTP surface: /healthz, /readyz, /metrics (prom-client + OTel on one endpoint) and the
 * analysis API. Handlers get narrow functions, not subsystems; errors map to statuses in onError.
 */
import { Hono } from 'hono';
import type { Registry } from 'prom-client';
import { RequestError, TenantscopeError } from '../lib/errors.js';
import { parseTimeArg, TIME_ARG_FORMS } from '../lib/time.js';
import type { Logger } from '../lib/log.js';
import { renderRegistryStream } from './render.js';

export interface AnalysisWindow {
  from: Date;
  to: Date;
}

export interface ComponentHealth {
  name: string;
  ok: boolean;
  detail?: string | undefined;
}

export interface AppDeps {
  registry: Registry;
  logger: Logger;
  /** extra exposition text appended to the registry's (OpenTelemetry's own metrics) */
  extraMetrics?: () => Promise<string>;
  /** current analysis (no window) or a past window; returns the contract JSON */
  analysis?: (window: AnalysisWindow | undefined) => Promise<unknown>;
  /** per-component state for /readyz; the process is healthy as long as it serves */
  components?: () => ComponentHealth[];
  /** what the process runs on, shown by /healthz, e.g. "simulated fleet" */
  mode?: string;
  now?: () => number;
}

const MAX_WINDOW_MS = 31 * 24 * 3600 * 1000;

export function parseWindow(fromRaw: string | undefined, toRaw: string | undefined, nowMs: number): AnalysisWindow | undefined {
  if (fromRaw === undefined && toRaw === undefined) return undefined;
  const parse = (name: string, raw: string | undefined, fallback: number): Date => {
    if (raw === undefined || raw === '') return new Date(fallback);
    const t = parseTimeArg(raw, nowMs);
    if (Number.isNaN(t)) throw new RequestError(`query parameter ${name}=${JSON.stringify(raw)} is not a time — use ${TIME_ARG_FORMS}`);
    return new Date(t);
  };
  const to = parse('to', toRaw, nowMs);
  const from = parse('from', fromRaw, to.getTime() - 3600_000);
  if (from.getTime() >= to.getTime()) {
    throw new RequestError(`from (${from.toISOString()}) must be before to (${to.toISOString()}) — swap them or widen the window`);
  }
  if (to.getTime() - from.getTime() > MAX_WINDOW_MS) {
    throw new RequestError(`window of ${((to.getTime() - from.getTime()) / 86_400_000).toFixed(1)} days is longer than the 31-day limit — analyse it in parts`);
  }
  return { from, to };
}

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  const now = deps.now ?? Date.now;

  app.get('/healthz', (c) => c.json({ status: 'ok', mode: deps.mode ?? 'configured sources' }));

  app.get('/readyz', (c) => {
    const components = deps.components?.() ?? [];
    const ready = components.every((x) => x.ok);
    return c.json({ ready, components }, ready ? 200 : 503);
  });

  app.get('/metrics', async (c) => {
    // registry.metrics() byte for byte, with each series' label text cached (issue 5), OpenTelemetry's
    // text after it (the `tail`); written in chunks as the client reads, not as one string and buffer
    const body = await renderRegistryStream(deps.registry, deps.extraMetrics?.() ?? '');
    return c.body(body, 200, { 'content-type': deps.registry.contentType });
  });

  app.get('/api/v1/analysis', async (c) => {
    if (!deps.analysis) throw new TenantscopeError('TS_NOT_FOUND', 'analysis is not running in this process — start it with `tenantscope run`', { httpStatus: 404 });
    const window = parseWindow(c.req.query('from'), c.req.query('to'), now());
    return c.json(await deps.analysis(window));
  });

  app.notFound((c) => c.json({ error: { code: 'TS_NOT_FOUND', message: `no route ${c.req.method} ${c.req.path} — see /api/v1/analysis, /metrics, /healthz` } }, 404));

  app.onError((err, c) => {
    if (err instanceof TenantscopeError) {
      if (err.httpStatus >= 500) deps.logger.error('request failed', { path: c.req.path, error: err.message });
      return c.json({ error: { code: err.code, message: err.message } }, err.httpStatus as 400);
    }
    deps.logger.error('request failed', { path: c.req.path, error: String(err) });
    return c.json({ error: { code: 'TS_INTERNAL', message: 'internal error — see the server log' } }, 500);
  });

  return app;
}
