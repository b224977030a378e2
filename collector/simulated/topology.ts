/**
 * The simulated fleet's shape: a few dozen logistics tenants across low/medium/high bands, on a
 * few shared nodes, one PostgreSQL cluster, one Redis and one ingress. Everything is drawn from the
 * seed, so the same seed always gives the same fleet.
 */
import { mulberry32 } from './prng.js';

export type Band = 'low' | 'medium' | 'high';

export const SIM_PG_CLUSTER = 'pg-main';
export const SIM_REDIS_INSTANCE = 'redis-main';
export const SIM_INGRESS = 'edge';
export const SIM_NODE_POOL = 'shared';

export interface SimTenant {
  readonly index: number;
  /** tenant id as the tenancy rules would extract it (`tenant-<id>` namespace, `<id>_prod` database, `<id>:` keys) */
  readonly id: string;
  readonly displayName: string;
  readonly band: Band;
  readonly node: string;
  /** requests per second at the business-hours plateau */
  readonly baseRps: number;
  /** the 17:00 dispatch wave (drivers' tours, labels, loading lists) */
  readonly dispatchWave: boolean;
  /** hour (UTC) of the nightly EDI batch with carriers, or -1 */
  readonly ediHourUtc: number;
  /** heavy invoicing on the last day of the month */
  readonly monthEndBilling: boolean;
  readonly cpuPerRequestCoreSeconds: number;
  readonly cpuLimitCores: number;
  readonly memoryBaseBytes: number;
  readonly queriesPerRequest: number;
  readonly appBaseSeconds: number;
  readonly queryBaseSeconds: number;
  readonly redisOpsPerRequest: number;
  readonly redisMemoryBytes: number;
  readonly connectionsBase: number;
}

export interface SimNode {
  readonly name: string;
  readonly pool: string;
  /** filled in by the model from the normal peak so that normal rhythms stay within headroom */
  cpuCores: number;
  memoryBytes: number;
}

export interface SimTopology {
  readonly tenants: readonly SimTenant[];
  readonly nodes: readonly SimNode[];
  readonly pgCluster: string;
  readonly redisInstance: string;
  readonly ingress: string;
}

const PREFIXES = ['nord', 'sued', 'alpen', 'rhein', 'elbe', 'baltic', 'danube', 'ostsee', 'hansa', 'atlas', 'polar', 'iberia', 'adria', 'delta', 'alster', 'weser', 'oder', 'tauern', 'fjord', 'kiel', 'lago', 'mosel', 'brenner', 'lech'];
const SUFFIXES = ['fracht', 'cargo', 'log', 'trans', 'spedition', 'express', 'haul', 'freight', 'logistik', 'shipping'];

const GiB = 2 ** 30;

export function buildTopology(tenantCount: number, seed: number): SimTopology {
  if (!Number.isInteger(tenantCount) || tenantCount < 2 || tenantCount > 5000) {
    throw new RangeError(`simulated fleet: tenants=${tenantCount} is out of range — use an integer between 2 and 5000`);
  }
  const rnd = mulberry32(seed ^ 0x7e4a11);
  const names: string[] = [];
  for (const p of PREFIXES) for (const s of SUFFIXES) names.push(p + s);
  // seeded Fisher–Yates: a different but stable set of names per seed
  for (let i = names.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [names[i], names[j]] = [names[j]!, names[i]!];
  }
  const nodeCount = Math.max(2, Math.ceil(tenantCount / 8));
  const nodes: SimNode[] = Array.from({ length: nodeCount }, (_, i) => ({ name: `node-shared-${i + 1}`, pool: SIM_NODE_POOL, cpuCores: 0, memoryBytes: 0 }));
  const tenants: SimTenant[] = [];
  for (let i = 0; i < tenantCount; i++) {
    const base = names[i % names.length]!;
    const id = i < names.length ? base : `${base}${Math.floor(i / names.length) + 1}`;
    const r = rnd();
    const band: Band = r < 0.5 ? 'low' : r < 0.85 ? 'medium' : 'high';
    const baseRps = band === 'low' ? 0.5 + rnd() * 2.5 : band === 'medium' ? 5 + rnd() * 10 : 25 + rnd() * 35;
    const cpuPerRequestCoreSeconds = 0.02 + rnd() * 0.03;
    tenants.push({
      index: i,
      id,
      displayName: base.charAt(0).toUpperCase() + base.slice(1) + (rnd() < 0.5 ? ' GmbH' : ' AG'),
      band,
      node: nodes[i % nodeCount]!.name,
      baseRps,
      dispatchWave: rnd() < 0.6,
      ediHourUtc: rnd() < 0.5 ? 1 + Math.floor(rnd() * 5) : -1,
      monthEndBilling: rnd() < 0.4,
      cpuPerRequestCoreSeconds,
      // a limit well above the normal peak: only a bad deploy or an own spike reaches it
      cpuLimitCores: baseRps * cpuPerRequestCoreSeconds * 3 + 0.3,
      memoryBaseBytes: (band === 'low' ? 0.6 : band === 'medium' ? 1.5 : 3) * GiB * (0.8 + rnd() * 0.4),
      queriesPerRequest: 8 + Math.floor(rnd() * 12),
      appBaseSeconds: 0.04 + rnd() * 0.06,
      queryBaseSeconds: 0.0015 + rnd() * 0.002,
      redisOpsPerRequest: 3 + Math.floor(rnd() * 6),
      redisMemoryBytes: (band === 'low' ? 20 : band === 'medium' ? 80 : 250) * 2 ** 20 * (0.7 + rnd() * 0.6),
      connectionsBase: band === 'low' ? 3 : band === 'medium' ? 6 : 12,
    });
  }
  return { tenants, nodes, pgCluster: SIM_PG_CLUSTER, redisInstance: SIM_REDIS_INSTANCE, ingress: SIM_INGRESS };
}
