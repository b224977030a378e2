/**
 * The composition root: the only place subsystems are wired together. Starts them in data-flow
 * order (storage → collectors → analysis → server) and stops them in reverse.
 */
import { Registry, collectDefaultMetrics, Gauge } from 'prom-client';
import type { Config } from '../config/index.js';
import { createTenantResolver, type TenantResolver } from '../tenancy/index.js';
import type { Collector, CollectorDeps } from '../collector/types.js';
import { createLoop, type Loop } from '../lib/loop.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/log.js';
import { describeError } from '../lib/errors.js';
import { createTelemetry, type Telemetry } from '../telemetry/index.js';
import { createApp, listen, type HttpServer, type ComponentHealth } from '../server/index.js';
import { buildCollectors } from './sources.js';
import type { Shard } from '../collector/shard.js';
import { join, resolve } from 'node:path';
// storage, analysis and alerting are imported when started: `collect` never loads their modules
import type { Storage } from '../store/index.js';
import type { SignalSource } from '../analyzer/index.js';
import { createCardinalityGuard } from '../collector/cardinality.js';
import type { AnalysisService } from './analysis.js';

export interface RuntimeOptions {
  config: Config;
  clock: Clock;
  logger: Logger;
  /** overrides server.listen (tests use 127.0.0.1:0) */
  listen?: string;
  /** collect only: no analysis */
  collectOnly?: boolean;
  /** this replica's share of the sources (`--shard i/n`) */
  shard?: Shard;
  env?: NodeJS.ProcessEnv;
}

export interface Runtime {
  readonly registry: Registry;
  readonly resolver: TenantResolver;
  readonly mode: string;
  readonly url: string | undefined;
  /** the analysis subsystem once started (undefined with collectOnly) */
  readonly analysis: AnalysisService | undefined;
  start(): Promise<void>;
  /** `collect --once`: polls every source once and returns the exposition */
  collectOnce(): Promise<string>;
  stop(): Promise<void>;
}

interface Stoppable {
  name: string;
  stop(): Promise<void>;
}

export function createRuntime(opts: RuntimeOptions): Runtime {
  const { config, clock, logger } = opts;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tenantscope_process_' });
  const resolver = createTenantResolver(config.tenancy);
  const deps: CollectorDeps = { registry, resolver, clock, logger };
  const { collectors, mode, fleet } = buildCollectors(config, deps, opts.shard);
  let telemetry: Telemetry | undefined;
  let server: HttpServer | undefined;
  const started: Stoppable[] = [];
  let analysis: AnalysisService | undefined;
  const guard = createCardinalityGuard(registry, { maxSeriesPerTenant: config.collector.maxSeriesPerTenant }, logger);
  const guardLoop = createLoop({ name: 'cardinality guard', intervalMs: config.collector.scrapeIntervalMs, logger, tick: async () => void (await guard.enforce()) });

  const build = new Gauge({ name: 'tenantscope_build_info', help: 'always 1; labels say what this process runs', labelNames: ['version', 'mode'], registers: [registry] });
  build.set({ version: '0.1.0', mode }, 1);

  return {
    registry,
    resolver,
    mode,
    get url() {
      return server?.url;
    },
    get analysis() {
      return analysis;
    },
    async start() {
      try {
        await startAll();
      } catch (err) {
        // whatever started before the failure (connections, watches, PGlite) is stopped, in reverse
        await this.stop();
        throw err;
      }
    },
    async collectOnce() {
      // --once: one poll of every source, no loops and no server; a failing source is reported, the rest printed
      const results = await Promise.allSettled(collectors.map((c) => c.collect()));
      results.forEach((r, i) => {
        if (r.status === 'rejected') logger.error('collection failed', { collector: collectors[i]!.name, error: describeError(r.reason) });
      });
      await guard.enforce();
      const text = await registry.metrics();
      await Promise.allSettled(collectors.map((c) => c.stop()));
      return text;
    },
    async stop() {
      while (started.length) {
        const s = started.pop()!;
        try {
          await s.stop();
        } catch (err) {
          logger.warn('stop failed', { component: s.name, error: describeError(err) });
        }
      }
    },
  };

  async function startAll(): Promise<void> {
    telemetry = createTelemetry({ env: opts.env });
    started.push({ name: 'telemetry', stop: () => telemetry!.shutdown() });
    let storage: Storage | undefined;
    if (!opts.collectOnly) {
      const { createStorage } = await import('../store/index.js');
      storage = await createStorage({ url: config.storage.url, dataDir: join(resolve(config.storage.dataDir), 'pglite') }, { clock, logger });
      started.push({ name: 'storage', stop: () => storage!.close() });
      logger.info('storage ready', { storage: storage.where, kind: storage.kind });
    }
    for (const c of collectors) {
      // a source down at start is reported by the collector and retried on its own cadence
      await c.start().catch((err: unknown) => {
        logger.error('collector failed to start; it will retry', { collector: c.name, error: describeError(err) });
      });
      started.push(c);
    }
    guardLoop.start();
    started.push({ name: 'cardinality guard', stop: () => guardLoop.stop() });
    if (!opts.collectOnly) {
      const { createAnalyzer, createEmbeddedSignals, createPrometheusSignalSource, backfill, createSimulatedSignalSource } = await import('../analyzer/index.js');
      const { createAlertmanagerNotifier } = await import('../alerts/index.js');
      const { createAnalysisService } = await import('./analysis.js');
      let signals: SignalSource;
      const prom = config.sources.prometheus;
      if (prom) {
        signals = createPrometheusSignalSource({ url: prom.url, orgId: prom.orgId, headers: prom.headers, timeoutMs: prom.timeoutMs }, { resolver });
      } else {
        const embedded = createEmbeddedSignals(
          { tickMs: config.collector.scrapeIntervalMs, retentionHours: config.analyzer.retentionHours, dataDir: resolve(config.storage.dataDir) },
          { registry, clock, logger },
        );
        await embedded.start();
        started.push({ name: 'signal store', stop: () => embedded.stop() });
        if (fleet && embedded.store.stats().series === 0) {
          // the showcase needs baselines before its first episode: an hour of the same simulated physics
          const now = clock.now();
          const n = await backfill(embedded.store, createSimulatedSignalSource(fleet.model), now - 3_600_000, now - config.collector.scrapeIntervalMs, config.collector.scrapeIntervalMs);
          logger.info('simulated fleet: backfilled one hour of history so baselines exist from the start', { samples: n });
        }
        signals = embedded.source;
      }
      const analyzer = createAnalyzer({ stepMs: config.collector.scrapeIntervalMs }, { signals, clock, logger, resolver });
      const notifier = config.alertmanager.url ? createAlertmanagerNotifier({ url: config.alertmanager.url }, { clock, logger }) : undefined;
      analysis = createAnalysisService({ tickMs: config.analyzer.tickMs }, { analyzer, storage, notifier, registry, clock, logger });
      analysis.loop.start();
      started.push({ name: 'analysis', stop: () => analysis!.loop.stop() });
    }
    const service = analysis;
    const app = createApp({
      registry,
      logger,
      mode,
      now: () => clock.now(),
      extraMetrics: () => telemetry!.renderMetrics(),
      components: () => collectors.map((c): ComponentHealth => ({ name: c.name, ...(c.health?.() ?? { ok: true, detail: 'no health report' }) })),
      ...(service
        ? { analysis: async (w: { from: Date; to: Date } | undefined) => (w ? service.analyze(w) : await service.current()) }
        : {}),
    });
    server = await listen(app, opts.listen ?? config.server.listen);
    started.push({ name: 'server', stop: () => server!.close() });
    logger.info('serving', { url: server.url, metrics: `${server.url}/metrics`, mode });
  }
}

export type { Collector, Loop };
export { createLoop };
