/**
 * The physics of the simulated fleet: a pure function from an instant to every tenant's load and
 * latency. Simple but causal:
 *   - each tenant's demand follows its rhythms (business day, 17:00 dispatch wave, nightly EDI
 *     batch, month-end billing) with seeded noise;
 *   - each shared resource has a capacity sized so that these normal rhythms stay within headroom;
 *   - utilisation above a knee raises the latency of EVERY tenant on that resource (slow(u));
 *   - episodes add load: an antagonist pushes a shared resource past the knee (its co-tenants
 *     suffer), a benign control changes one tenant only (its own spike, lock waits in its own
 *     database, its own CPU limit, a rollout) or bursts within headroom.
 * The same instant always yields the same sample, whoever asks (live collector, backfill, eval).
 */
import { SESSION_STARTS_PER_CORE_SECOND } from '../postgres/session-cost.js';
import { hashNormal } from './prng.js';
import { buildTopology, type SimTenant, type SimTopology } from './topology.js';

export type Mechanism = 'cpu' | 'memory' | 'io' | 'wal' | 'connections' | 'command-time' | 'requests' | 'locks';
export type ResourceKind = 'node' | 'postgres' | 'redis' | 'ingress';

export const ANTAGONIST_SCENARIOS = ['node-cpu', 'node-memory', 'pg-cpu', 'pg-io', 'pg-wal', 'pg-connections', 'redis-command-time', 'redis-memory', 'ingress-flood'] as const;
export const BENIGN_SCENARIOS = ['burst-within-headroom', 'self-throttle', 'lock-contention', 'rollout', 'diurnal-ramp', 'own-spike'] as const;
export type AntagonistScenario = (typeof ANTAGONIST_SCENARIOS)[number];
export type BenignScenario = (typeof BENIGN_SCENARIOS)[number];
export type Scenario = AntagonistScenario | BenignScenario;

export interface Episode {
  readonly id: string;
  readonly label: 'antagonist' | 'benign';
  readonly scenario: Scenario;
  readonly resource: { readonly kind: ResourceKind; readonly id: string };
  readonly mechanism: Mechanism | undefined;
  /** the antagonists (label antagonist) or the one tenant the control is about (label benign) */
  readonly tenants: readonly string[];
  readonly startMs: number;
  readonly endMs: number;
  /** antagonists: target utilisation of the contended resource (≈0.9–1.2); benign: a multiplier */
  readonly intensity: number;
  /** how long an antagonist takes to reach full intensity; default a sharp 20 s */
  readonly rampMs?: number;
}

export const SCENARIO_RESOURCE: Record<Scenario, { kind: ResourceKind; mechanism: Mechanism | undefined }> = {
  'node-cpu': { kind: 'node', mechanism: 'cpu' },
  'node-memory': { kind: 'node', mechanism: 'memory' },
  'pg-cpu': { kind: 'postgres', mechanism: 'cpu' },
  'pg-io': { kind: 'postgres', mechanism: 'io' },
  'pg-wal': { kind: 'postgres', mechanism: 'wal' },
  'pg-connections': { kind: 'postgres', mechanism: 'connections' },
  'redis-command-time': { kind: 'redis', mechanism: 'command-time' },
  'redis-memory': { kind: 'redis', mechanism: 'memory' },
  'ingress-flood': { kind: 'ingress', mechanism: 'requests' },
  'burst-within-headroom': { kind: 'ingress', mechanism: undefined },
  'self-throttle': { kind: 'node', mechanism: undefined },
  'lock-contention': { kind: 'postgres', mechanism: 'locks' },
  rollout: { kind: 'node', mechanism: undefined },
  'diurnal-ramp': { kind: 'ingress', mechanism: undefined },
  'own-spike': { kind: 'node', mechanism: undefined },
};

export interface TenantSample {
  rps: number;
  errorRatio: number;
  meanLatencySeconds: number;
  p95LatencySeconds: number;
  tps: number;
  rollbackRatio: number;
  queriesPerSecond: number;
  meanQuerySeconds: number;
  /** average active sessions by wait_event_type */
  loadCpu: number;
  loadIo: number;
  loadLwlock: number;
  loadLock: number;
  connectionsActive: number;
  connectionsIdle: number;
  /** sessions established per second (pg_stat_database.sessions): pooled workers barely churn; EDI connectors and rollouts do */
  sessionRate: number;
  blksReadPerSecond: number;
  blksHitPerSecond: number;
  lockWaitingSessions: number;
  cpuCores: number;
  memoryBytes: number;
  cpuRequestCores: number;
  memoryRequestBytes: number;
  redisOpsPerSecond: number;
  redisCommandSecondsPerSecond: number;
  redisMemoryBytes: number;
  redisClients: number;
  /** container restarts that happened at this instant (rollouts) */
  restarting: boolean;
}

export interface FleetSample {
  t: number;
  tenants: TenantSample[];
  nodes: { cpuUtil: number; memoryUtil: number }[];
  pg: { cpuUtil: number; ioUtil: number; walUtil: number; connectionUtil: number; connections: number; maxConnections: number };
  redis: { commandUtil: number; memoryUtil: number; usedMemoryBytes: number; maxMemoryBytes: number; canaryP99Seconds: number };
  ingress: { util: number };
}

export interface Capacities {
  pgCpuCores: number;
  pgIoSeconds: number;
  pgWalSeconds: number;
  maxConnections: number;
  redisCommandSeconds: number;
  redisMaxMemoryBytes: number;
  ingressRps: number;
}

export const KNEE = 0.7;

/** latency multiplier of a resource at utilisation u: flat below the knee, steep above it */
export function slow(u: number): number {
  const x = Math.max(0, Math.min(1.6, u) - KNEE) / (1 - KNEE);
  return 1 + 8 * x * x;
}

const HOUR = 3_600_000;
const MIN = 60_000;

/** calendar facts of one instant, computed once per sample (Date objects are not free at fleet scale) */
interface When {
  hour: number;
  minute: number;
  /** 0.15..1 business-day shape */
  diurnal: number;
  /** 0..1 gaussian around 17:15 on weekdays */
  dispatch: number;
  lastDayOfMonth: boolean;
}

function when(tMs: number): When {
  const d = new Date(tMs);
  const hour = d.getUTCHours();
  const minute = d.getUTCMinutes();
  const h = hour + minute / 60 + d.getUTCSeconds() / 3600;
  const weekend = d.getUTCDay() === 0 || d.getUTCDay() === 6;
  const day = h > 6 && h < 20 ? Math.pow(Math.sin((Math.PI * (h - 6)) / 14), 1.2) : 0;
  const z = (h - 17.25) / 0.25;
  return {
    hour,
    minute,
    diurnal: (0.15 + 0.85 * day) * (weekend ? 0.4 : 1),
    dispatch: weekend ? 0 : Math.exp(-0.5 * z * z),
    lastDayOfMonth: new Date(tMs + 24 * HOUR).getUTCDate() === 1,
  };
}

/** business-day shape in 0.15..1 by UTC hour (the reference fleet runs in Central Europe; close enough) */
export function diurnal(tMs: number): number {
  return when(tMs).diurnal;
}

function ediActive(t: SimTenant, w: When): boolean {
  return t.ediHourUtc >= 0 && w.hour === t.ediHourUtc && w.minute < 20;
}

function billingActive(t: SimTenant, w: When): boolean {
  return t.monthEndBilling && w.lastDayOfMonth && w.hour >= 20 && w.hour < 22;
}

interface Demand {
  rps: number;
  cpu: number;
  memory: number;
  pgCpu: number;
  pgIo: number;
  pgWal: number;
  connections: number;
  /** session starts per second; each costs the server CPU (sessionCpu: in utilisation, not in sampled load) */
  sessions: number;
  redisCmd: number;
  redisMem: number;
  tps: number;
  lock: number;
  selfSat: number;
  /** the container's CPU limit (a batch pod without a limit can take the whole node) */
  cpuLimit: number;
  restarting: boolean;
}

export interface FleetModel {
  readonly topology: SimTopology;
  readonly capacities: Capacities;
  readonly seed: number;
  /** every instant is computed on its own; stepMs only keys the noise (samples within one step share it) */
  sample(tMs: number, stepMs?: number): FleetSample;
  /** episodes active at tMs */
  activeEpisodes(tMs: number): Episode[];
  /** episodes overlapping [fromMs, toMs) */
  episodesBetween(fromMs: number, toMs: number): Episode[];
}

export interface FleetModelOptions {
  tenants: number;
  seed: number;
  /** the episodes to inject; a function lets the live fleet schedule them lazily */
  episodes?: readonly Episode[] | ((fromMs: number, toMs: number) => Episode[]);
  noiseStepMs?: number;
}

const NOISE = 0.07;

// module-level (not a closure per call): at fleet scale the allocation shows in profiles
function noiseOf(seed: number, index: number, step: number): (k: number) => number {
  return (k) => Math.exp(NOISE * hashNormal(seed, index, k, step));
}
function noNoise(): number {
  return 1;
}

/**
 * the server CPU a tenant's session starts take (fork, authentication, catalog set-up): it uses the
 * cluster's cores like any query, but no wait sample sees it, so it counts in utilisation, not in loadCpu
 */
function sessionCpu(d: Demand): number {
  return d.sessions / SESSION_STARTS_PER_CORE_SECOND;
}

export function createFleetModel(opts: FleetModelOptions): FleetModel {
  const topology = buildTopology(opts.tenants, opts.seed);
  const tenants = topology.tenants;
  const byId = new Map(tenants.map((t) => [t.id, t]));
  const nodeIndex = new Map(topology.nodes.map((n, i) => [n.name, i]));
  const noiseStep = opts.noiseStepMs ?? 15_000;
  const seed = opts.seed | 0;

  const episodesBetween = (fromMs: number, toMs: number): Episode[] => {
    const e = opts.episodes;
    if (!e) return [];
    if (typeof e === 'function') return e(fromMs, toMs);
    return e.filter((x) => x.startMs < toMs && x.endMs > fromMs);
  };
  const activeEpisodes = (tMs: number) => episodesBetween(tMs, tMs + 1).filter((x) => x.startMs <= tMs && tMs < x.endMs);

  /** a tenant's normal demand at tMs (rhythms + noise), before episodes */
  const normal = (t: SimTenant, w: When, step: number, withNoise: boolean): Demand => {
    const n = withNoise ? noiseOf(seed, t.index, step) : noNoise;
    const wave = t.dispatchWave ? 1.6 * w.dispatch : 0;
    const rps = t.baseRps * (w.diurnal + wave) * n(1);
    const edi = ediActive(t, w);
    const billing = billingActive(t, w);
    const qps = rps * t.queriesPerRequest;
    const batchQps = (edi ? 40 : 0) + (billing ? 60 : 0);
    // Odoo's workers hold pooled connections: a trickle of reconnects; an EDI connector opens one
    // connection per file it imports, billing runs reconnect per batch
    const sessions = (0.02 + rps * 0.002 + (edi ? 3 : 0) + (billing ? 1 : 0)) * n(8);
    return {
      rps,
      cpu: rps * t.cpuPerRequestCoreSeconds * n(2) + 0.05 + (edi ? 0.2 : 0),
      memory: t.memoryBaseBytes * (0.85 + 0.15 * w.diurnal) * n(3),
      pgCpu: (qps * 0.0006 + batchQps * 0.004) * n(4),
      pgIo: (qps * 0.0003 + (edi ? 0.15 : 0) + (billing ? 0.1 : 0)) * n(5),
      pgWal: (rps * 0.6 * 0.0008 + batchQps * 0.0005) * n(6),
      connections: t.connectionsBase + rps * 0.4 + (edi || billing ? 4 : 0),
      sessions,
      redisCmd: rps * t.redisOpsPerRequest * 0.00002 * n(7),
      redisMem: t.redisMemoryBytes * (0.95 + 0.05 * w.diurnal),
      tps: rps * 0.6 + batchQps * 0.1,
      lock: 0.01 * rps * 0.05,
      selfSat: 1,
      cpuLimit: t.cpuLimitCores,
      restarting: false,
    };
  };

  // Capacities from the normal weekday peak (17:15 dispatch wave plus EDI/billing extras), with the
  // knee well above it: normal rhythms never contend, so only episodes do.
  const peakT = Date.UTC(2026, 0, 7, 17, 15); // a Wednesday
  const peakW = when(peakT);
  const peak = tenants.map((t) => normal(t, peakW, 0, false));
  const sum = (f: (d: Demand) => number, idx?: (i: number) => boolean) => peak.reduce((a, d, i) => a + (idx && !idx(i) ? 0 : f(d)), 0);
  const HEAD = 0.45;
  for (const [i, node] of topology.nodes.entries()) {
    const on = (k: number) => nodeIndex.get(tenants[k]!.node) === i;
    node.cpuCores = Math.max(4, Math.ceil((sum((d) => d.cpu, on) + 0.6) / HEAD));
    node.memoryBytes = Math.ceil(sum((d) => d.memory, on) / 0.5 / 2 ** 30) * 2 ** 30;
  }
  const capacities: Capacities = {
    pgCpuCores: Math.ceil((sum((d) => d.pgCpu + sessionCpu(d)) + 0.6) / HEAD),
    pgIoSeconds: (sum((d) => d.pgIo) + 0.3) / HEAD,
    pgWalSeconds: (sum((d) => d.pgWal) + 0.1) / HEAD,
    maxConnections: Math.ceil((sum((d) => d.connections) + 10) / 0.5 / 10) * 10,
    redisCommandSeconds: (sum((d) => d.redisCmd) + 0.02) / HEAD,
    redisMaxMemoryBytes: Math.ceil(sum((d) => d.redisMem) / 0.5 / 2 ** 20) * 2 ** 20,
    ingressRps: Math.ceil(sum((d) => d.rps) / HEAD),
  };

  const totals = (ds: Demand[]) => {
    const node = topology.nodes.map(() => ({ cpu: 0, memory: 0 }));
    const s = { pgCpu: 0, pgIo: 0, pgWal: 0, connections: 0, redisCmd: 0, redisMem: 0, rps: 0 };
    ds.forEach((d, i) => {
      const ni = nodeIndex.get(tenants[i]!.node)!;
      node[ni]!.cpu += d.cpu;
      node[ni]!.memory += d.memory;
      s.pgCpu += d.pgCpu + sessionCpu(d);
      s.pgIo += d.pgIo;
      s.pgWal += d.pgWal;
      s.connections += d.connections;
      s.redisCmd += d.redisCmd;
      s.redisMem += d.redisMem;
      s.rps += d.rps;
    });
    return { node, ...s };
  };

  /** applies one episode to the demands in place (antagonists push their resource to `intensity` utilisation) */
  const apply = (ep: Episode, ds: Demand[], tMs: number) => {
    const idx = ep.tenants.map((id) => byId.get(id)?.index).filter((i): i is number => i !== undefined);
    if (idx.length === 0) return;
    const tot = totals(ds);
    // split the extra load between antagonists 60/40 when there are two
    const part = (k: number) => (idx.length === 1 ? 1 : k === 0 ? 0.6 : 0.4 / (idx.length - 1));
    // a short ramp so the onset is realistic but sharp (20 s)
    const ramp = ep.rampMs ? Math.min(1, (tMs - ep.startMs) / ep.rampMs) : Math.min(1, (tMs - ep.startMs) / 20_000 + 0.25);
    const push = (current: number, cap: number, minExtra: number) => Math.max(minExtra, ep.intensity * cap - current) * ramp;
    idx.forEach((i, k) => {
      const d = ds[i]!;
      const t = tenants[i]!;
      const ni = nodeIndex.get(t.node)!;
      const node = topology.nodes[ni]!;
      switch (ep.scenario) {
        case 'node-cpu':
          // a report or import job started without a CPU limit: it takes what the node has
          d.cpuLimit = Number.POSITIVE_INFINITY;
          d.cpu += push(tot.node[ni]!.cpu, node.cpuCores, node.cpuCores * 0.3) * part(k);
          break;
        case 'node-memory':
          d.memory += push(tot.node[ni]!.memory, node.memoryBytes, node.memoryBytes * 0.3) * part(k);
          break;
        case 'pg-cpu': {
          const x = push(tot.pgCpu, capacities.pgCpuCores, capacities.pgCpuCores * 0.3) * part(k);
          d.pgCpu += x;
          d.tps += x * 40;
          d.connections += 4;
          break;
        }
        case 'pg-io': {
          const x = push(tot.pgIo, capacities.pgIoSeconds, capacities.pgIoSeconds * 0.3) * part(k);
          d.pgIo += x;
          d.pgCpu += x * 0.1;
          d.connections += 3;
          break;
        }
        case 'pg-wal': {
          const x = push(tot.pgWal, capacities.pgWalSeconds, capacities.pgWalSeconds * 0.3) * part(k);
          d.pgWal += x;
          d.tps += x / 0.0008;
          break;
        }
        case 'pg-connections': {
          // workers opening connections without a pool: the extra connections each live ~2 s, so
          // they are also a storm of session starts, each costing the server CPU
          const x = push(tot.connections, capacities.maxConnections, capacities.maxConnections * 0.3) * part(k);
          d.connections += x;
          d.sessions += x / 2;
          break;
        }
        case 'redis-command-time':
          d.redisCmd += push(tot.redisCmd, capacities.redisCommandSeconds, capacities.redisCommandSeconds * 0.3) * part(k);
          break;
        case 'redis-memory':
          d.redisMem += push(tot.redisMem, capacities.redisMaxMemoryBytes, capacities.redisMaxMemoryBytes * 0.3) * part(k);
          break;
        case 'ingress-flood': {
          const x = push(tot.rps, capacities.ingressRps, capacities.ingressRps * 0.3) * part(k);
          // a flood of cheap requests (bots, a retry storm): little CPU or database work each
          d.rps += x;
          d.cpu += x * 0.002;
          d.redisCmd += x * 0.000005;
          break;
        }
        case 'burst-within-headroom': {
          // more of the tenant's ordinary traffic, capped so that no shared resource reaches 60 %
          const factor = ep.intensity;
          const room = Math.max(0, 0.6 * capacities.ingressRps - tot.rps);
          const extra = Math.min(d.rps * (factor - 1), room, (0.6 * node.cpuCores - tot.node[ni]!.cpu) / t.cpuPerRequestCoreSeconds);
          const e = Math.max(0, extra);
          const r = e / Math.max(1e-9, d.rps);
          d.rps += e;
          d.cpu += e * t.cpuPerRequestCoreSeconds;
          d.pgCpu *= 1 + r * 0.5;
          d.pgIo *= 1 + r * 0.5;
          d.pgWal *= 1 + r * 0.5;
          d.redisCmd *= 1 + r;
          d.tps *= 1 + r;
          d.sessions *= 1 + r;
          break;
        }
        case 'self-throttle':
          // a bad deploy: each request costs several times the CPU; the container hits its own limit
          d.cpu = Math.max(d.cpu * 2, t.cpuLimitCores * ep.intensity);
          break;
        case 'own-spike': {
          const f = ep.intensity;
          d.rps *= f;
          d.cpu *= f;
          d.tps *= f;
          d.redisCmd *= f;
          d.sessions *= f;
          // its own worker pool saturates: only its own requests queue
          d.selfSat *= 1 + 0.8 * (f - 1);
          break;
        }
        case 'lock-contention':
          // row locks inside the tenant's own database (a long transaction holding invoice rows)
          d.lock += ep.intensity;
          break;
        case 'rollout':
          d.restarting = tMs - ep.startMs < 2 * MIN;
          // new pods' workers connect afresh: the tenant's whole pool over the first half-minute
          if (tMs - ep.startMs < 30_000) d.sessions += t.connectionsBase / 30;
          d.cpu *= 1.5;
          d.selfSat *= 1.4;
          break;
        case 'diurnal-ramp':
          break;
      }
    });
  };

  const sample = (tMs: number, stepMs = noiseStep): FleetSample => {
    const step = Math.floor(tMs / stepMs);
    const w = when(tMs);
    const ds = tenants.map((t) => normal(t, w, step, true));
    for (const ep of activeEpisodes(tMs)) apply(ep, ds, tMs);
    // a container cannot use more than its own limit: throttled demand becomes its own latency
    ds.forEach((d, i) => {
      const lim = d.cpuLimit;
      if (d.cpu > lim) {
        d.selfSat *= 1 + 2 * (d.cpu / lim - 1);
        d.cpu = lim;
      }
    });
    const tot = totals(ds);
    const nodes = topology.nodes.map((n, i) => ({ cpuUtil: tot.node[i]!.cpu / n.cpuCores, memoryUtil: tot.node[i]!.memory / n.memoryBytes }));
    const pgCpuU = tot.pgCpu / capacities.pgCpuCores;
    const pgIoU = tot.pgIo / capacities.pgIoSeconds;
    const pgWalU = tot.pgWal / capacities.pgWalSeconds;
    const connU = tot.connections / capacities.maxConnections;
    const redisCmdU = tot.redisCmd / capacities.redisCommandSeconds;
    const redisMemU = tot.redisMem / capacities.redisMaxMemoryBytes;
    const ingressU = tot.rps / capacities.ingressRps;
    const sCpu = slow(pgCpuU);
    const sIo = slow(pgIoU);
    const sWal = slow(pgWalU);
    // waiting for a connection slot: each query waits, and some requests fail (too many clients)
    const connWait = 1 + 6 * Math.max(0, connU - 0.85) / 0.15;
    const pgSlow = Math.max(sCpu, sIo, sWal) * connWait;
    // one command thread: past the knee every client queues behind the slow commands (squared: steeper than a pool)
    const canary = 0.0004 * slow(redisCmdU) ** 2 * slow(redisMemU) ** 2;
    const edgeSlow = slow(ingressU) ** 2;
    const out: TenantSample[] = ds.map((d, i) => {
      const t = tenants[i]!;
      const ni = nodeIndex.get(t.node)!;
      const nodeSlow = slow(nodes[ni]!.cpuUtil) * slow(nodes[ni]!.memoryUtil);
      // the tenant's own lock waits slow only its own queries
      const lockSlow = 1 + d.lock / Math.max(0.05, d.rps * t.queriesPerRequest * t.queryBaseSeconds);
      const meanQuery = t.queryBaseSeconds * pgSlow * lockSlow * Math.exp(0.04 * hashNormal(seed, t.index, 11, step));
      const app = t.appBaseSeconds * nodeSlow * d.selfSat;
      const db = t.queriesPerRequest * meanQuery;
      const redis = t.redisOpsPerRequest * canary;
      const edge = 0.004 * edgeSlow;
      const mean = app + db + redis + edge;
      const total = mean / (t.appBaseSeconds + t.queriesPerRequest * t.queryBaseSeconds + t.redisOpsPerRequest * 0.0004 + 0.004);
      const errorRatio = Math.min(0.5, 0.002 + 0.01 * Math.max(0, total - 3) + 0.2 * Math.max(0, connU - 0.95) / 0.05);
      const qps = d.rps * t.queriesPerRequest + d.tps * 0.5;
      return {
        rps: d.rps,
        errorRatio,
        meanLatencySeconds: mean,
        p95LatencySeconds: mean * 2.4 * Math.exp(0.06 * hashNormal(seed, t.index, 12, step)),
        tps: d.tps,
        rollbackRatio: 0.01,
        queriesPerSecond: qps,
        meanQuerySeconds: meanQuery,
        loadCpu: d.pgCpu * sCpu * connWait,
        loadIo: d.pgIo * sIo * connWait,
        loadLwlock: d.pgWal * sWal * connWait,
        loadLock: d.lock,
        connectionsActive: Math.min(d.connections, qps * meanQuery + d.pgCpu + d.pgIo + 1),
        connectionsIdle: Math.max(0, d.connections - (qps * meanQuery + d.pgCpu + d.pgIo + 1)),
        sessionRate: d.sessions,
        blksReadPerSecond: d.pgIo * 4000,
        blksHitPerSecond: qps * 60,
        lockWaitingSessions: d.lock,
        cpuCores: d.cpu,
        memoryBytes: d.memory,
        cpuRequestCores: t.cpuLimitCores / 2,
        memoryRequestBytes: t.memoryBaseBytes,
        redisOpsPerSecond: d.rps * t.redisOpsPerRequest,
        redisCommandSecondsPerSecond: d.redisCmd * slow(redisCmdU),
        redisMemoryBytes: d.redisMem,
        redisClients: 2 + Math.round(d.rps / 10),
        restarting: d.restarting,
      };
    });
    return {
      t: tMs,
      tenants: out,
      nodes,
      pg: { cpuUtil: pgCpuU, ioUtil: pgIoU, walUtil: pgWalU, connectionUtil: connU, connections: tot.connections, maxConnections: capacities.maxConnections },
      redis: { commandUtil: redisCmdU, memoryUtil: redisMemU, usedMemoryBytes: tot.redisMem, maxMemoryBytes: capacities.redisMaxMemoryBytes, canaryP99Seconds: canary * 2.5 },
      ingress: { util: ingressU },
    };
  };

  return { topology, capacities, seed, sample, activeEpisodes, episodesBetween };
}
