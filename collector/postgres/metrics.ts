/**
 * The tenantscope_pg_* families. Defined once here: the real PostgreSQL collector and the
 * simulated fleet write the same families, so the analyzer cannot tell them apart.
 * Label sets are fixed at creation (bounded cardinality by construction).
 */
import { perRegistry } from '../families.js';
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

    // --- throughput and work (pg_stat_database) ---
    tuples: new Counter({ name: 'tenantscope_pg_tuples_total', help: 'rows returned/fetched/inserted/updated/deleted (pg_stat_database tup_*)', labelNames: [...DB, 'op'], registers: r }),
    tempBytes: new Counter({ name: 'tenantscope_pg_temp_bytes_total', help: 'bytes written to temporary files', labelNames: DB, registers: r }),
    deadlocks: new Counter({ name: 'tenantscope_pg_deadlocks_total', help: 'deadlocks detected', labelNames: DB, registers: r }),
    sessionSeconds: new Counter({ name: 'tenantscope_pg_session_seconds_total', help: 'time sessions spent connected (session_time)', labelNames: DB, registers: r }),
    idleInTransactionSeconds: new Counter({ name: 'tenantscope_pg_idle_in_transaction_seconds_total', help: 'time sessions spent idle in transaction', labelNames: DB, registers: r }),
    sessions: new Counter({ name: 'tenantscope_pg_sessions_total', help: 'sessions established', labelNames: DB, registers: r }),
    sessionsEnded: new Counter({
      name: 'tenantscope_pg_sessions_ended_total',
      help: 'sessions that ended badly, by reason (abandoned = client vanished, fatal, killed)',
      labelNames: [...DB, 'reason'],
      registers: r,
    }),
    // --- connections ---
    databaseConnectionLimit: new Gauge({ name: 'tenantscope_pg_database_connection_limit', help: 'datconnlimit of the database (only databases with a limit)', labelNames: DB, registers: r }),
    // --- latency (pg_stat_statements, per dbid) ---
    statementTempBlocks: new Counter({ name: 'tenantscope_pg_statement_temp_blocks_total', help: 'temp blocks read+written by statements', labelNames: DB, registers: r }),
    statementRows: new Counter({ name: 'tenantscope_pg_statement_rows_total', help: 'rows retrieved or affected by statements', labelNames: DB, registers: r }),
    statementsAvailable: new Gauge({ name: 'tenantscope_pg_statements_available', help: '1 when pg_stat_statements could be read in the monitoring database', labelNames: ['pg_cluster'], registers: r }),
    statementsDealloc: new Counter({ name: 'tenantscope_pg_statements_dealloc_total', help: 'pg_stat_statements entries evicted (pg_stat_statements_info.dealloc); increments of evicted entries since the previous poll are lost', labelNames: ['pg_cluster'], registers: r }),
    // --- locks ---
    lockLongestWaitSeconds: new Gauge({ name: 'tenantscope_pg_lock_longest_wait_seconds', help: 'longest current heavyweight lock wait (pg_locks.waitstart)', labelNames: DB, registers: r }),
    lockBlocked: new Gauge({
      name: 'tenantscope_pg_lock_blocked_sessions',
      help: 'lock-waiting sessions by the tenant of a session blocking them (pg_blocking_pids)',
      labelNames: [...DB, 'blocker_tenant'],
      registers: r,
    }),
    // --- storage ---
    databaseGrowthBytesPerSecond: new Gauge({ name: 'tenantscope_pg_database_growth_bytes_per_second', help: 'change of pg_database_size between the last two size reads', labelNames: DB, registers: r }),
    // --- backups (WAL archiving) ---
    archivedTotal: new Counter({ name: 'tenantscope_pg_archiver_archived_total', help: 'WAL files archived (pg_stat_archiver)', labelNames: ['pg_cluster'], registers: r }),
    archiveFailedTotal: new Counter({ name: 'tenantscope_pg_archiver_failed_total', help: 'failed WAL archive attempts', labelNames: ['pg_cluster'], registers: r }),
    lastArchivedAgeSeconds: new Gauge({ name: 'tenantscope_pg_archiver_last_archived_age_seconds', help: 'seconds since the last WAL file was archived (absent when none ever was)', labelNames: ['pg_cluster'], registers: r }),
    // --- Odoo job queues ---
    queueJobs: new Gauge({
      name: 'tenantscope_pg_odoo_queue_jobs',
      help: 'OCA queue_job rows not done/cancelled, by state and channel',
      labelNames: [...DB, 'state', 'channel'],
      registers: r,
    }),
    queueOldestPendingSeconds: new Gauge({ name: 'tenantscope_pg_odoo_queue_oldest_pending_seconds', help: 'age of the oldest runnable pending/enqueued job (since eta when set, else date_created)', labelNames: DB, registers: r }),
    cronLateJobs: new Gauge({ name: 'tenantscope_pg_odoo_cron_late_jobs', help: 'active ir_cron jobs whose nextcall is older than the grace period', labelNames: DB, registers: r }),
    cronMaxLatenessSeconds: new Gauge({ name: 'tenantscope_pg_odoo_cron_max_lateness_seconds', help: 'how far the most overdue active ir_cron job is behind its nextcall (0 when none is due)', labelNames: DB, registers: r }),
    // --- schema per tenant ---
    schemaTuples: new Counter({
      name: 'tenantscope_pg_schema_tuples_total',
      help: 'rows read/inserted/updated/deleted in the tables of tenant schemas (pg_stat_user_tables), schema-per-tenant databases only',
      labelNames: [...DB, 'op'],
      registers: r,
    }),
    // --- self-metrics ---
    scrapeSeconds: new Gauge({ name: 'tenantscope_pg_scrape_duration_seconds', help: 'wall time of the last run of each collection step', labelNames: ['pg_cluster', 'step'], registers: r }),
    scrapeErrors: new Counter({ name: 'tenantscope_pg_scrape_errors_total', help: 'failed collection steps', labelNames: ['pg_cluster', 'step'], registers: r }),
  };
}

/** One set of families per registry: several clusters share them. */
export const postgresMetricsFor = perRegistry(createPostgresMetrics);

export type PostgresMetrics = ReturnType<typeof createPostgresMetrics>;
