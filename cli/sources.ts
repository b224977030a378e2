/**
 * Which collectors a config asks for. With no source configured (and simulation not off) the
 * built-in simulated fleet stands in for them and says so. With `--shard i/n`, each replica
 * takes the sources whose stable hash falls to it (collector/shard.ts).
 */
import type { Config } from '../config/index.js';
import type { Collector, CollectorDeps } from '../collector/types.js';
import { createSimulatedFleet, type SimulatedFleet } from '../collector/simulated/index.js';
import { createPostgresCollector } from '../collector/postgres/index.js';
import { createRedisCollector } from '../collector/redis/index.js';
import { createTraefikCollector } from '../collector/traefik/index.js';
import { createKubernetesCollector } from '../collector/kubernetes/index.js';
import { ownsSource, SINGLE_SHARD, type Shard } from '../collector/shard.js';

export interface BuiltCollectors {
  collectors: Collector[];
  /** "simulated fleet (N tenants, seed S)" or "2 PostgreSQL, 1 Redis, …" */
  mode: string;
  /** the simulated fleet when it runs (its model can backfill history for the showcase) */
  fleet?: SimulatedFleet | undefined;
}

export function hasSources(config: Config): boolean {
  const s = config.sources;
  return s.postgres.length > 0 || s.redis.length > 0 || s.traefik.length > 0 || s.kubernetes !== undefined || s.prometheus !== undefined;
}

export function buildCollectors(config: Config, deps: CollectorDeps, shard: Shard = SINGLE_SHARD): BuiltCollectors {
  const simulate = config.simulation.enabled === 'on' || (config.simulation.enabled === 'auto' && !hasSources(config));
  const collectors: Collector[] = [];
  const parts: string[] = [];
  let fleet: SimulatedFleet | undefined;
  if (simulate) {
    fleet = createSimulatedFleet({ tenants: config.simulation.tenants, seed: config.simulation.seed, tickMs: config.collector.scrapeIntervalMs }, deps);
    collectors.push(fleet);
    parts.push(`simulated fleet (${config.simulation.tenants} tenants, seed ${config.simulation.seed})`);
  }
  const s = config.sources;
  const pg = s.postgres.filter((x) => ownsSource(shard, 'postgres', x.name));
  const redis = s.redis.filter((x) => ownsSource(shard, 'redis', x.name));
  const traefik = s.traefik.filter((x) => ownsSource(shard, 'traefik', x.name));
  // one Kubernetes API per fleet: shard 0 watches it (a watch cannot be split by source)
  const k8s = s.kubernetes && shard.index === 0 ? s.kubernetes : undefined;
  for (const x of pg) collectors.push(createPostgresCollector(x, deps));
  for (const x of redis) collectors.push(createRedisCollector(x, deps, { scrapeIntervalMs: config.collector.scrapeIntervalMs }));
  for (const x of traefik) collectors.push(createTraefikCollector(x, deps));
  if (k8s) collectors.push(createKubernetesCollector(k8s, deps));
  if (pg.length) parts.push(`${pg.length} PostgreSQL`);
  if (redis.length) parts.push(`${redis.length} Redis`);
  if (traefik.length) parts.push(`${traefik.length} Traefik`);
  if (k8s) parts.push('Kubernetes');
  if (s.prometheus) parts.push('Prometheus query API');
  if (shard.count > 1) parts.push(`shard ${shard.index}/${shard.count}`);
  return { collectors, mode: parts.join(', ') || 'no sources', fleet };
}
