import type { Registry } from 'prom-client';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/log.js';
import type { TenantResolver } from '../tenancy/index.js';

/** What every collector gets from the composition root; nothing global. */
export interface CollectorDeps {
  registry: Registry;
  resolver: TenantResolver;
  clock: Clock;
  logger: Logger;
}

/**
 * One lifecycle object per source. `collect()` is one poll (tests and `collect --once` call it
 * directly); `start()` runs it on the collector's own cadence through lib/loop, never throwing out
 * of a tick; `stop()` ends timers and connections and is safe to call twice.
 */
export interface Collector {
  readonly name: string;
  start(): Promise<void>;
  collect(): Promise<void>;
  stop(): Promise<void>;
  /** live state for /readyz: not ok while the source cannot be read, with the reason (absent = no report) */
  health?(): CollectorHealth;
}

export interface CollectorHealth {
  ok: boolean;
  detail?: string | undefined;
}
