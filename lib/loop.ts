import { SpanStatusCode, metrics, trace, type Counter, type Histogram, type Meter } from '@opentelemetry/api';
import type { Logger } from './log.js';
import { describeError } from './errors.js';

/**
 * Every tick of every loop is the tool's own telemetry: a span and two instruments through the
 * OpenTelemetry API. The composition root registers the SDK; without it (unit tests) these are no-ops.
 */
let instruments: { meter: Meter; cycles: Counter; duration: Histogram } | undefined;
function cycleInstruments() {
  const meter = metrics.getMeter('tenantscope');
  if (instruments?.meter !== meter) {
    instruments = {
      meter,
      cycles: meter.createCounter('tenantscope_cycles', { description: 'ticks run by each loop (collectors, analysis, delivery), by outcome' }),
      duration: meter.createHistogram('tenantscope_cycle_duration_seconds', {
        description: 'duration of one tick of a loop',
        unit: 's',
        advice: { explicitBucketBoundaries: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] },
      }),
    };
  }
  return instruments;
}

/**
 * A periodic tick that never dies: a tick that throws is logged and counted, and the next one
 * runs; a tick still running when the timer fires makes that firing skip instead of stacking.
 * Timers are unref()ed so a loop never holds the process open on its own.
 */
export interface LoopOptions {
  name: string;
  intervalMs: number;
  tick: () => Promise<void>;
  logger: Logger;
  onError?: (err: unknown) => void;
  onSkip?: () => void;
  /** run the first tick at once instead of after one interval */
  immediate?: boolean;
}

export interface Loop {
  start(): void;
  stop(): Promise<void>;
  /** runs one tick now (waits for a running one first); for tests and `collect --once` */
  runOnce(): Promise<void>;
  readonly running: boolean;
}

export function createLoop(opts: LoopOptions): Loop {
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;
  let started = false;

  const runTick = (): Promise<void> =>
    trace.getTracer('tenantscope').startActiveSpan(`${opts.name}.tick`, async (span) => {
      const t0 = performance.now();
      let outcome = 'ok';
      try {
        await opts.tick();
      } catch (err) {
        outcome = 'error';
        span.recordException(err as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: describeError(err) });
        opts.logger.error(`${opts.name} tick failed`, { error: describeError(err) });
        opts.onError?.(err);
      } finally {
        const { cycles, duration } = cycleInstruments();
        cycles.add(1, { loop: opts.name, outcome });
        duration.record((performance.now() - t0) / 1000, { loop: opts.name });
        span.end();
      }
    });

  const fire = () => {
    if (inFlight) {
      opts.onSkip?.();
      opts.logger.debug(`${opts.name} tick skipped: previous still running`);
      return;
    }
    inFlight = runTick().finally(() => {
      inFlight = undefined;
    });
  };

  return {
    start() {
      if (started) return;
      started = true;
      if (opts.immediate) fire();
      timer = setInterval(fire, opts.intervalMs);
      timer.unref();
    },
    async stop() {
      started = false;
      if (timer) clearInterval(timer);
      timer = undefined;
      if (inFlight) await inFlight;
    },
    async runOnce() {
      // `while`: two callers waiting on one tick run theirs one after the other, never together
      while (inFlight) await inFlight;
      inFlight = runTick().finally(() => {
        inFlight = undefined;
      });
      await inFlight;
    },
    get running() {
      return started;
    },
  };
}
