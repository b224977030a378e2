/**
 * Which collectors a config asks for. With no source configured (and simulation not off) the
 * built-in simulated fleet stands in for them and says so.
 */
import type { Config } from '../config/index.js';
import type { Collector, CollectorDeps } from '../collector/types.js';
import { createSimulatedFleet } from '../collector/simulated/index.js';

export interface BuiltCollectors {
  collectors: Collector[];
  /** "simulated fleet (N tenants, seed S)" or "configured sources (…)" */
  mode: string;
}

export function hasSources(config: Config): boolean {
  const s = config.sources;
  return s.postgres.length > 0 || s.redis.length > 0 || s.traefik.length > 0 || s.kubernetes !== undefined || s.prometheus !== undefined;
}

export function buildCollectors(config: Config, deps: CollectorDeps): BuiltCollectors {
  const simulate = config.simulation.enabled === 'on' || (config.simulation.enabled === 'auto' && !hasSources(config));
  const collectors: Collector[] = [];
  const parts: string[] = [];
  if (simulate) {
    collectors.push(createSimulatedFleet({ tenants: config.simulation.tenants, seed: config.simulation.seed, tickMs: config.collector.scrapeIntervalMs }, deps));
    parts.push(`simulated fleet (${config.simulation.tenants} tenants, seed ${config.simulation.seed})`);
  }
  const s = config.sources;
  if (s.postgres.length) parts.push(`${s.postgres.length} PostgreSQL`);
  if (s.redis.length) parts.push(`${s.redis.length} Redis`);
  if (s.traefik.length) parts.push(`${s.traefik.length} Traefik`);
  if (s.kubernetes) parts.push('Kubernetes');
  if (s.prometheus) parts.push('Prometheus query API');
  return { collectors, mode: parts.join(', ') || 'no sources' };
}
