export { createPostgresCollector } from './collector.js';
export type { PostgresCollector } from './collector.js';
export { createPostgresMetrics, postgresMetricsFor } from './metrics.js';
export type { PostgresMetrics } from './metrics.js';
export { StatementDeltas } from './statements.js';
export type { StatementRow, StatementTotals } from './statements.js';
export { GRANTS_DOC } from './sql.js';
