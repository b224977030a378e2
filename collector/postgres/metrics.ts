/**
 * The tenantscope_pg_* families. Defined once here: the real PostgreSQL collector and the
 * simulated fleet write the same families, so the analyzer cannot tell them apart.
 * Label sets are fixed at creation (bounded cardinality by construction).
 */
import { Counter, Gauge, type Registry } from 'prom-client';

const DB = ['tenant', 'pg_cluster', 'datname'] as const;

export function createPostgresMetrics(registry: Registry) {
  const r = [registry];
  return {
    up: new Gauge({ name: 'tenantscope_pg_up', help: '1 when the last poll of the cluster succeeded', labelNames: ['pg_cluster'], registers: r }),
    maxConnections: new Gauge({ name: 'tenantscope_pg_max_connections', help: 'max_connections of the cluster', labelNames: ['pg_cluster'], registers: r }),
    xactCommit: new Counter({ name: 'tenantscope_pg_xact_commit_total', help: 'committed transactions (pg_stat_database.xact_commit)', labelNames: DB, registers: r }),
    xactRollback: new Counter({ name: 'tenantscope_pg_xact_rollback_total', help: 'rolled back transactions', labelNames: DB, registers: r }),
    blksRead: new Counter({ name: 'tenantscope_pg_blks_read_total', help: 'blocks read from disk or OS cache', labelNames: DB, registers: r }),
    blksHit: new Counter({ name: 'tenantscope_pg_blks_hit_total', help: 'blocks found in shared buffers', labelNames: DB, registers: r }),
    activeSeconds: new Counter({ name: 'tenantscope_pg_active_seconds_total', help: 'time backends spent executing statements (pg_stat_database.active_time)', labelNames: DB, registers: r }),
    /** sampled active client sessions × sample interval: rate() gives average active sessions (DB load) by wait_event_type (CPU when none) */
    waitLoad: new Counter({
      name: 'tenantscope_pg_wait_load_seconds_total',
      help: 'sampled active session-seconds by wait_event_type (CPU = on CPU, no wait event); rate() = average active sessions',
      labelNames: ['tenant', 'pg_cluster', 'datname', 'wait_event_type'],
      registers: r,
    }),
    connections: new Gauge({
      name: 'tenantscope_pg_connections',
      help: 'client connections by state and application (odoo-<pid> collapsed to odoo)',
      labelNames: ['tenant', 'pg_cluster', 'datname', 'state', 'application'],
      registers: r,
    }),
    statementCalls: new Counter({ name: 'tenantscope_pg_statement_calls_total', help: 'statement executions (pg_stat_statements.calls, per database)', labelNames: DB, registers: r }),
    statementSeconds: new Counter({ name: 'tenantscope_pg_statement_exec_seconds_total', help: 'statement execution time (total_exec_time)', labelNames: DB, registers: r }),
    statementIoSeconds: new Counter({ name: 'tenantscope_pg_statement_io_seconds_total', help: 'block read+write time (needs track_io_timing)', labelNames: DB, registers: r }),
    lockWaiting: new Gauge({ name: 'tenantscope_pg_lock_waiting_sessions', help: 'sessions waiting on a heavyweight lock', labelNames: DB, registers: r }),
    databaseBytes: new Gauge({ name: 'tenantscope_pg_database_size_bytes', help: 'pg_database_size, read on a slower cadence', labelNames: DB, registers: r }),
  };
}

export type PostgresMetrics = ReturnType<typeof createPostgresMetrics>;
