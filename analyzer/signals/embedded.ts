/**
 * The embedded signal pipeline as one lifecycle object: on start it reloads the snapshot from the
 * data dir (kept across restarts), then every tick samples the collectors' registry into the store;
 * the snapshot is rewritten periodically and on stop. A failing tick is logged and the loop goes on.
 */
import type { Registry } from 'prom-client';
import { join } from 'node:path';
import type { Clock } from '../../lib/clock.js';
import { describeError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import { createLoop, type Loop } from '../../lib/loop.js';
import { createRegistrySampler } from './registry-sampler.js';
import { createSignalStore, type SignalStore } from './store.js';
import { SIGNAL_NAMES, type SignalSource } from './types.js';

export interface EmbeddedSignalsOptions {
  /** sampling cadence; the store's fine resolution. Default 15 s */
  tickMs?: number;
  /** analyzer.retentionHours */
  retentionHours: number;
  /** storage.dataDir; undefined = memory only (tests) */
  dataDir?: string;
  /** how often the snapshot is rewritten; default 5 min */
  snapshotEveryMs?: number;
  maxSeries?: number;
}

export interface EmbeddedSignals {
  readonly store: SignalStore;
  readonly source: SignalSource;
  start(): Promise<void>;
  /** one sampling now (tests, and the CLI right after a collection) */
  sampleOnce(): Promise<number>;
  stop(): Promise<void>;
}

export const SNAPSHOT_FILE = 'signals.snapshot.json';

export function createEmbeddedSignals(opts: EmbeddedSignalsOptions, deps: { registry: Registry; clock: Clock; logger: Logger }): EmbeddedSignals {
  const tickMs = opts.tickMs ?? 15_000;
  const store = createSignalStore({ resolutionMs: tickMs, retentionMs: opts.retentionHours * 3_600_000, ...(opts.maxSeries ? { maxSeries: opts.maxSeries } : {}) });
  const sampler = createRegistrySampler(deps.registry, store);
  const logger = deps.logger.child({ component: 'signals' });
  const file = opts.dataDir ? join(opts.dataDir, SNAPSHOT_FILE) : undefined;
  const snapshotEvery = opts.snapshotEveryMs ?? 300_000;
  let lastSnapshot = deps.clock.now();
  let loop: Loop | undefined;

  const save = async () => {
    if (!file) return;
    await store.save(file);
    lastSnapshot = deps.clock.now();
  };

  const sampleOnce = async () => {
    const n = await sampler.sample(deps.clock.now());
    if (file && deps.clock.now() - lastSnapshot >= snapshotEvery) await save();
    return n;
  };

  return {
    store,
    source: store,
    sampleOnce,
    async start() {
      if (file) {
        try {
          const r = await store.load(file, deps.clock.now());
          logger.info('embedded signal store loaded', { file, series: r.series, samples: r.samples });
        } catch (err) {
          // a corrupt snapshot must not stop the process: start empty and say why
          logger.warn('embedded signal store: snapshot not loaded, starting empty', { file, error: describeError(err) });
        }
      }
      loop ??= createLoop({ name: 'signal sampling', intervalMs: tickMs, tick: async () => void (await sampleOnce()), logger });
      loop.start();
    },
    async stop() {
      await loop?.stop();
      try {
        await save();
      } catch (err) {
        logger.error('embedded signal store: snapshot not written on stop', { error: describeError(err) });
      }
    },
  };
}

/**
 * Copies a window of another source into a store (e.g. an hour of simulated history at start, so
 * the showcase has baselines before its first episode). Returns the samples written.
 */
export async function backfill(store: { append: SignalStore['append'] }, from: SignalSource, fromMs: number, toMs: number, stepMs: number): Promise<number> {
  const r = await from.range({ signals: SIGNAL_NAMES }, fromMs, toMs, stepMs);
  let n = 0;
  for (const s of r.series) {
    for (let j = 0; j < r.points; j++) {
      const v = s.values[j]!;
      if (!Number.isFinite(v)) continue;
      store.append(s, r.startMs + j * r.stepMs, v);
      n++;
    }
  }
  return n;
}
