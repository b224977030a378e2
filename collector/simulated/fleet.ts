/**
 * The built-in simulated fleet as a Collector: every tick it writes the SAME metric families the
 * real PostgreSQL, Redis, Traefik and Kubernetes collectors write, so everything downstream
 * (embedded store, Prometheus, analyzer, dashboards) cannot tell it from a real fleet. Time comes
 * from deps.clock, so a ManualClock runs it faster than real time.
 */
import { Gauge } from 'prom-client';
import { probit } from 'simple-statistics';
import { createLoop, type Loop } from '../../lib/loop.js';
import { kubernetesMetricsFor } from '../kubernetes/metrics.js';
import { postgresMetricsFor } from '../postgres/metrics.js';
import { redisMetricsFor } from '../redis/metrics.js';
import { StaleSeries } from '../series.js';
import { ingressMetricsFor } from '../traefik/metrics.js';
import type { Collector, CollectorDeps } from '../types.js';
import { UNATTRIBUTED_TENANT } from '../../tenancy/index.js';
import { createFleetModel, type Capacities, type Episode, type FleetModel, type FleetSample } from './model.js';
import { scheduledEpisodes } from './scenarios.js';
import type { SimTopology } from './topology.js';

export interface SimulatedFleetOptions {
  tenants: number;
  seed: number;
  /** collection cadence; default 15 s */
  tickMs?: number;
  /** start of the episode schedule; default deps.clock.now() at creation */
  anchorMs?: number;
  /** explicit episodes instead of the showcase schedule (tests, evaluation) */
  episodes?: readonly Episode[];
}

export interface SimulatedFleet extends Collector {
  readonly topology: SimTopology;
  readonly capacities: Capacities;
  readonly model: FleetModel;
  /** episodes overlapping [fromMs, toMs): the ground truth of the scenario */
  episodes(fromMs: number, toMs: number): Episode[];
  /** episodes active now, by deps.clock */
  activeEpisodes(): Episode[];
  /** the last sample written (undefined before the first tick) */
  readonly lastSample: FleetSample | undefined;
}

/** most histogram observations one tenant gets per tick; rates come from the request counter, shapes from these */
const MAX_OBSERVATIONS = 400;
const SIGMA = 0.5;


export function createSimulatedFleet(opts: SimulatedFleetOptions, deps: CollectorDeps): SimulatedFleet {
  const tickMs = opts.tickMs ?? 15_000;
  const anchorMs = opts.anchorMs ?? deps.clock.now();
  let schedule: (from: number, to: number) => Episode[] = () => [];
  const model = createFleetModel({
    tenants: opts.tenants,
    seed: opts.seed,
    noiseStepMs: tickMs,
    episodes: opts.episodes ?? ((from, to) => schedule(from, to)),
  });
  if (!opts.episodes) schedule = scheduledEpisodes(model.topology, opts.seed, anchorMs);
  const { topology, capacities } = model;
  const logger = deps.logger.child({ collector: 'simulated' });

  const pg = postgresMetricsFor(deps.registry);
  const redis = redisMetricsFor(deps.registry);
  const ingress = ingressMetricsFor(deps.registry);
  const k8s = kubernetesMetricsFor(deps.registry);
  // simulation-only fact: the ground truth, so a dashboard or a demo can show what was injected
  const episodeActive = new Gauge({
    name: 'tenantscope_sim_episode_active',
    help: 'simulated fleet only: 1 while an injected episode is active (ground truth for the demo and the evaluation)',
    labelNames: ['episode', 'scenario', 'label', 'resource_kind', 'resource', 'tenant'],
    registers: [deps.registry],
  });
  const stale = new StaleSeries();

  // Tenant ids go through the resolver like any collector's would, from the resource names a real
  // fleet exposes; with no rule matching they keep the simulator's id (the fleet names itself).
  const tenantOf = topology.tenants.map((t) => {
    const r = deps.resolver.postgresDatabase(`${t.id}_prod`);
    return r === UNATTRIBUTED_TENANT ? t.id : r;
  });

  let last: number | undefined;
  let lastSample: FleetSample | undefined;
  const dbBytes = topology.tenants.map((t) => 200 * 2 ** 20 + t.baseRps * 40 * 2 ** 20);

  const collect = async (): Promise<void> => {
    const now = deps.clock.now();
    // counters advance by rate × elapsed; a clock jumping far ahead is credited at most 10 ticks
    const dtMs = last === undefined ? tickMs : Math.max(0, Math.min(now - last, tickMs * 10));
    last = now;
    const dt = dtMs / 1000;
    const s = model.sample(now);
    lastSample = s;
    pg.up.set({ pg_cluster: topology.pgCluster }, 1);
    pg.maxConnections.set({ pg_cluster: topology.pgCluster }, capacities.maxConnections);
    redis.up.set({ redis_instance: topology.redisInstance }, 1);
    redis.usedMemoryBytes.set({ redis_instance: topology.redisInstance }, s.redis.usedMemoryBytes);
    redis.maxMemoryBytes.set({ redis_instance: topology.redisInstance }, s.redis.maxMemoryBytes);
    ingress.up.set({ ingress: topology.ingress }, 1);
    k8s.up.set(1);
    for (const n of topology.nodes) {
      k8s.nodeAllocatableCpuCores.set({ node: n.name, node_pool: n.pool }, n.cpuCores);
      k8s.nodeAllocatableMemoryBytes.set({ node: n.name, node_pool: n.pool }, n.memoryBytes);
    }
    let totalRedisCmd = 0;
    topology.tenants.forEach((t, i) => {
      const x = s.tenants[i]!;
      const tenant = tenantOf[i]!;
      const db = { tenant, pg_cluster: topology.pgCluster, datname: `${t.id}_prod` };
      const ns = `tenant-${t.id}`;
      // ingress
      const requests = x.rps * dt;
      const errors = requests * x.errorRatio;
      ingress.requests.inc(stale.touch(ingress.requests, { tenant, ingress: topology.ingress, code_class: '2xx' }), requests - errors - requests * 0.03);
      ingress.requests.inc(stale.touch(ingress.requests, { tenant, ingress: topology.ingress, code_class: '3xx' }), requests * 0.02);
      ingress.requests.inc(stale.touch(ingress.requests, { tenant, ingress: topology.ingress, code_class: '4xx' }), requests * 0.01);
      ingress.requests.inc(stale.touch(ingress.requests, { tenant, ingress: topology.ingress, code_class: '5xx' }), errors);
      ingress.authFailures.inc(stale.touch(ingress.authFailures, { tenant, ingress: topology.ingress }), requests * 0.004);
      const hl = stale.touch(ingress.duration, { tenant, ingress: topology.ingress });
      const n = Math.min(MAX_OBSERVATIONS, Math.round(requests));
      const median = x.p95LatencySeconds / Math.exp(1.645 * SIGMA);
      for (let j = 0; j < n; j++) ingress.duration.observe(hl, median * Math.exp(SIGMA * probit((j + 0.5) / n)));
      // postgres
      const commits = x.tps * dt;
      pg.xactCommit.inc(stale.touch(pg.xactCommit, db), commits * (1 - x.rollbackRatio));
      pg.xactRollback.inc(stale.touch(pg.xactRollback, db), commits * x.rollbackRatio);
      pg.blksRead.inc(stale.touch(pg.blksRead, db), x.blksReadPerSecond * dt);
      pg.blksHit.inc(stale.touch(pg.blksHit, db), x.blksHitPerSecond * dt);
      pg.activeSeconds.inc(stale.touch(pg.activeSeconds, db), (x.loadCpu + x.loadIo + x.loadLwlock + x.loadLock) * dt);
      const waits: [string, number][] = [
        ['CPU', x.loadCpu],
        ['IO', x.loadIo],
        ['LWLock', x.loadLwlock],
        ['Lock', x.loadLock],
      ];
      for (const [w, v] of waits) pg.waitLoad.inc(stale.touch(pg.waitLoad, { ...db, wait_event_type: w }), v * dt);
      pg.connections.set(stale.touch(pg.connections, { ...db, state: 'active', application: 'odoo' }), Math.round(x.connectionsActive));
      pg.connections.set(stale.touch(pg.connections, { ...db, state: 'idle', application: 'odoo' }), Math.round(x.connectionsIdle));
      pg.sessions.inc(stale.touch(pg.sessions, db), x.sessionRate * dt);
      pg.statementCalls.inc(stale.touch(pg.statementCalls, db), x.queriesPerSecond * dt);
      pg.statementSeconds.inc(stale.touch(pg.statementSeconds, db), x.queriesPerSecond * x.meanQuerySeconds * dt);
      pg.statementIoSeconds.inc(stale.touch(pg.statementIoSeconds, db), x.loadIo * dt);
      pg.lockWaiting.set(stale.touch(pg.lockWaiting, db), x.lockWaitingSessions);
      dbBytes[i] = dbBytes[i]! + x.tps * dt * 300;
      pg.databaseBytes.set(stale.touch(pg.databaseBytes, db), Math.round(dbBytes[i]!));
      // redis
      const rl = { tenant, redis_instance: topology.redisInstance };
      redis.tenantKeys.set(stale.touch(redis.tenantKeys, rl), Math.round(x.redisMemoryBytes / 2048));
      redis.tenantMemoryBytes.set(stale.touch(redis.tenantMemoryBytes, rl), x.redisMemoryBytes);
      redis.tenantClients.set(stale.touch(redis.tenantClients, rl), x.redisClients);
      // per-tenant command time reaches a real collector through SLOWLOG; the simulator reports all of it there
      const sl = { tenant, redis_instance: topology.redisInstance, command: 'hgetall' };
      redis.slowCommands.inc(stale.touch(redis.slowCommands, sl), x.redisOpsPerSecond * dt * 0.001);
      redis.slowCommandSeconds.inc(stale.touch(redis.slowCommandSeconds, sl), x.redisCommandSecondsPerSecond * dt);
      totalRedisCmd += x.redisCommandSecondsPerSecond;
      // kubernetes
      const tn = { tenant, namespace: ns, node: t.node };
      k8s.tenantPods.set(stale.touch(k8s.tenantPods, { ...tn, node_pool: 'shared' }), t.band === 'high' ? 3 : t.band === 'medium' ? 2 : 1);
      k8s.tenantCpuCores.set(stale.touch(k8s.tenantCpuCores, tn), x.cpuCores);
      k8s.tenantMemoryBytes.set(stale.touch(k8s.tenantMemoryBytes, tn), x.memoryBytes);
      k8s.tenantCpuRequestCores.set(stale.touch(k8s.tenantCpuRequestCores, tn), x.cpuRequestCores);
      k8s.tenantMemoryRequestBytes.set(stale.touch(k8s.tenantMemoryRequestBytes, tn), x.memoryRequestBytes);
      if (x.restarting) k8s.restarts.inc(stale.touch(k8s.restarts, { tenant, namespace: ns, reason: 'Completed' }), 0.2);
    });
    // instance-wide command time by command, and the canary every client feels
    redis.commandSeconds.inc({ redis_instance: topology.redisInstance, command: 'get' }, totalRedisCmd * 0.6 * dt);
    redis.commandSeconds.inc({ redis_instance: topology.redisInstance, command: 'hgetall' }, totalRedisCmd * 0.4 * dt);
    const probes = Math.min(60, Math.max(1, Math.round(dt)));
    const canaryMedian = s.redis.canaryP99Seconds / Math.exp(2.326 * SIGMA);
    for (let j = 0; j < probes; j++) redis.canarySeconds.observe({ redis_instance: topology.redisInstance }, canaryMedian * Math.exp(SIGMA * probit((j + 0.5) / probes)));
    for (const ep of model.activeEpisodes(now)) {
      for (const tenant of ep.tenants) {
        episodeActive.set(
          stale.touch(episodeActive, { episode: ep.id, scenario: ep.scenario, label: ep.label, resource_kind: ep.resource.kind, resource: ep.resource.id, tenant }),
          1,
        );
      }
    }
    // ended episodes (and anything else not written this tick) stop being exported
    stale.sweep();
  };

  let loop: Loop | undefined;
  let announced = false;
  return {
    name: 'simulated',
    health: () => ({ ok: true, detail: 'simulated: not real data' }),
    topology,
    capacities,
    model,
    episodes: (from, to) => model.episodesBetween(from, to),
    activeEpisodes: () => model.activeEpisodes(deps.clock.now()),
    get lastSample() {
      return lastSample;
    },
    collect,
    async start() {
      if (!announced) {
        announced = true;
        logger.info('simulated fleet: no sources configured, generating a built-in fleet (not real data)', {
          tenants: topology.tenants.length,
          nodes: topology.nodes.length,
          pgCluster: topology.pgCluster,
          redis: topology.redisInstance,
          ingress: topology.ingress,
          seed: opts.seed,
        });
      }
      loop ??= createLoop({ name: 'simulated fleet', intervalMs: tickMs, tick: collect, logger, immediate: true });
      loop.start();
    },
    async stop() {
      await loop?.stop();
    },
  };
}
