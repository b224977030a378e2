/**
 * PostgreSQL sessions one core can start per second (fork, authentication, catalog cache set-up, one
 * trivial query, exit): the single-client figure of `npm run bench -- sessions` (bench/RESULTS.md,
 * "PostgreSQL session start cost"). The analyzer weighs a tenant's session rate as a share of one core
 * with it (analyzer/detect.ts), and the simulated fleet charges its session starts to the cluster's
 * CPU with it. No driver here: the analyzer imports this module.
 */
export const SESSION_STARTS_PER_CORE_SECOND = 225;
