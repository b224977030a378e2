import type { Logger } from './log.js';
import { describeError } from './errors.js';

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

  const runTick = async (): Promise<void> => {
    try {
      await opts.tick();
    } catch (err) {
      opts.logger.error(`${opts.name} tick failed`, { error: describeError(err) });
      opts.onError?.(err);
    }
  };

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
      if (inFlight) await inFlight;
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
