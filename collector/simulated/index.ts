export { createSimulatedFleet } from './fleet.js';
export type { SimulatedFleet, SimulatedFleetOptions } from './fleet.js';
export { createFleetModel, slow, diurnal, KNEE, ANTAGONIST_SCENARIOS, BENIGN_SCENARIOS, SCENARIO_RESOURCE } from './model.js';
export type {
  FleetModel,
  FleetModelOptions,
  FleetSample,
  TenantSample,
  Episode,
  Scenario,
  AntagonistScenario,
  BenignScenario,
  Mechanism,
  ResourceKind,
  Capacities,
} from './model.js';
export { planEpisode, scheduledEpisodes } from './scenarios.js';
export type { PlanOptions } from './scenarios.js';
export { buildTopology, SIM_PG_CLUSTER, SIM_REDIS_INSTANCE, SIM_INGRESS, SIM_NODE_POOL } from './topology.js';
export type { SimTopology, SimTenant, SimNode, Band } from './topology.js';
export { mulberry32, hash01, hashNormal } from './prng.js';
