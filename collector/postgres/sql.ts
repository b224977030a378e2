/**
 * Every statement the PostgreSQL collector sends, with the row shape it returns. All of them work
 * for a role that has only `pg_monitor` (see GRANTS below); numbers are cast to float8 so that
 * node-postgres hands back JS numbers instead of bigint strings.
 */

/**
 * The role the collector needs, per cluster (no superuser, no row access to tenant data beyond the
 * two Odoo queue tables):
 *
 *   CREATE ROLE tenantscope LOGIN PASSWORD '…' IN ROLE pg_monitor;
 *   -- in the database of the connection URL, once (latency per tenant):
 *   CREATE EXTENSION IF NOT EXISTS pg_stat_statements;   -- needs shared_preload_libraries too
 *   -- in each tenant database, for the Odoo queue step (sources.postgres[].options.queueJobs):
 *   GRANT CONNECT ON DATABASE <tenant_db> TO tenantscope;
 *   GRANT SELECT ON queue_job, ir_cron TO tenantscope;   -- plain SELECTs, never FOR UPDATE
 *
 * pg_monitor gives pg_read_all_stats (every session's query/wait state, every database's
 * pg_stat_statements rows, pg_database_size of every database) and pg_read_all_settings.
 */
export const GRANTS_DOC = 'GRANT pg_monitor TO <role>; CREATE EXTENSION pg_stat_statements in the database of the URL; GRANT SELECT ON queue_job, ir_cron in tenant databases';

/** One round trip opens each poll: a short read-only transaction that cannot stack behind locks. */
export const beginPoll = (statementTimeoutMs: number): string =>
  `BEGIN READ ONLY; SET LOCAL statement_timeout = ${Math.trunc(statementTimeoutMs)}; SET LOCAL lock_timeout = ${Math.max(1, Math.min(1000, Math.trunc(statementTimeoutMs / 2)))}`;

export interface DatabaseRow {
  datname: string;
  oid: string;
  datconnlimit: number;
  datallowconn: boolean;
  xact_commit: number | null;
  xact_rollback: number | null;
  blks_read: number | null;
  blks_hit: number | null;
  tup_returned: number | null;
  tup_fetched: number | null;
  tup_inserted: number | null;
  tup_updated: number | null;
  tup_deleted: number | null;
  temp_bytes: number | null;
  deadlocks: number | null;
  active_time: number | null;
  session_time: number | null;
  idle_in_transaction_time: number | null;
  sessions: number | null;
  sessions_abandoned: number | null;
  sessions_fatal: number | null;
  sessions_killed: number | null;
}

// Templates are excluded: nobody works in them and they are no tenant.
export const DATABASES = `
select d.datname, d.oid::text as oid, d.datconnlimit, d.datallowconn,
  s.xact_commit::float8 as xact_commit, s.xact_rollback::float8 as xact_rollback,
  s.blks_read::float8 as blks_read, s.blks_hit::float8 as blks_hit,
  s.tup_returned::float8 as tup_returned, s.tup_fetched::float8 as tup_fetched,
  s.tup_inserted::float8 as tup_inserted, s.tup_updated::float8 as tup_updated, s.tup_deleted::float8 as tup_deleted,
  s.temp_bytes::float8 as temp_bytes, s.deadlocks::float8 as deadlocks,
  s.active_time, s.session_time, s.idle_in_transaction_time,
  s.sessions::float8 as sessions, s.sessions_abandoned::float8 as sessions_abandoned,
  s.sessions_fatal::float8 as sessions_fatal, s.sessions_killed::float8 as sessions_killed
from pg_database d left join pg_stat_database s on s.datid = d.oid
where not d.datistemplate`;

export interface ClusterRow {
  max_connections: number;
  archived_count: number;
  failed_count: number;
  last_archived_age: number | null;
  pgss_schema: string | null;
}

export const CLUSTER = `
select current_setting('max_connections')::int as max_connections,
  a.archived_count::float8 as archived_count, a.failed_count::float8 as failed_count,
  extract(epoch from now() - a.last_archived_time)::float8 as last_archived_age,
  (select n.nspname::text from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname = 'pg_stat_statements') as pgss_schema
from pg_stat_archiver a`;

export interface ConnectionRow {
  datname: string;
  usename: string | null;
  state: string;
  application_name: string;
  n: number;
}

export const CONNECTIONS = `
select datname, usename::text as usename, coalesce(state, 'unknown') as state, application_name, count(*)::int as n
from pg_stat_activity
where backend_type = 'client backend' and datname is not null
group by 1, 2, 3, 4`;

export interface StatementSqlRow {
  dbid: string;
  k: string;
  calls: number;
  exec_s: number;
  io_s: number;
  temp: number;
  rows: number;
}

const quoteIdent = (s: string): string => `"${s.replace(/"/g, '""')}"`;

/** showtext := false: the query texts live in a file the server would otherwise read on every poll. */
export const statements = (schema: string): string => `
select dbid::text as dbid, userid::text || ':' || coalesce(queryid, 0)::text || ':' || toplevel::text as k,
  calls::float8 as calls, total_exec_time / 1000 as exec_s, (blk_read_time + blk_write_time) / 1000 as io_s,
  (temp_blks_read + temp_blks_written)::float8 as temp, rows::float8 as rows
from ${quoteIdent(schema)}.pg_stat_statements(false)`;

export interface StatementsInfoRow {
  dealloc: number;
  stats_reset: string;
}

export const statementsInfo = (schema: string): string => `select dealloc::float8 as dealloc, stats_reset::text as stats_reset from ${quoteIdent(schema)}.pg_stat_statements_info`;

export interface LockRow {
  datname: string;
  wait_s: number;
  blocker_datnames: string[];
  n_blockers: number;
}

// pg_blocking_pids() is costly (it walks the lock manager), so it runs only for sessions that
// pg_stat_activity shows waiting on a heavyweight lock: the qual filters rows before the select list.
export const LOCKS = `
with waiting as (
  select a.pid, a.datname, pg_blocking_pids(a.pid) as blockers,
    (select l.waitstart from pg_locks l where l.pid = a.pid and not l.granted limit 1) as waitstart
  from pg_stat_activity a
  where a.wait_event_type = 'Lock' and a.datname is not null
)
select w.datname, coalesce(extract(epoch from clock_timestamp() - w.waitstart), 0)::float8 as wait_s,
  coalesce((select array_agg(distinct coalesce(b.datname::text, '')) from pg_stat_activity b where b.pid = any(w.blockers)), '{}') as blocker_datnames,
  cardinality(w.blockers) as n_blockers
from waiting w`;

export interface SizeRow {
  datname: string;
  oid: string;
  bytes: number;
}

export const SIZES = `
select d.datname, d.oid::text as oid, pg_database_size(d.oid)::float8 as bytes
from pg_database d where not d.datistemplate and d.datallowconn`;

export interface ActivityRow {
  datname: string;
  usename: string | null;
  w: string;
  n: number;
}

/** The 1 s sampler: active client sessions by wait class; the collector's own sessions excluded. */
export const ACTIVITY = `
select datname, usename::text as usename, coalesce(wait_event_type, 'CPU') as w, count(*)::int as n
from pg_stat_activity
where state in ('active', 'fastpath function call') and backend_type = 'client backend'
  and datname is not null and pid <> pg_backend_pid() and application_name not like 'tenantscope%'
group by 1, 2, 3`;

export interface OdooTablesRow {
  has_queue: boolean;
  has_cron: boolean;
}

export const ODOO_TABLES = `select to_regclass('queue_job') is not null as has_queue, to_regclass('ir_cron') is not null as has_cron`;

export interface QueueRow {
  state: string;
  channel: string;
  n: number;
}

// done/cancelled rows are history (Odoo vacuums them after days): counting them would scan the table.
export const QUEUE_BACKLOG = `
select state::text as state, coalesce(channel, '')::text as channel, count(*)::int as n
from queue_job where state not in ('done', 'cancelled') group by 1, 2`;

/** Odoo stores UTC in timestamp without time zone, hence `now() at time zone 'UTC'`. */
export const QUEUE_OLDEST = `
select extract(epoch from (now() at time zone 'UTC') - min(greatest(date_created, coalesce(eta, date_created))))::float8 as oldest
from queue_job
where state in ('pending', 'enqueued') and (eta is null or eta <= (now() at time zone 'UTC'))`;

export interface CronRow {
  late: number;
  max_late: number;
}

export const cronLate = (graceSeconds: number): string => `
select count(*) filter (where nextcall < (now() at time zone 'UTC') - interval '${Math.trunc(graceSeconds)} seconds')::int as late,
  coalesce(max(extract(epoch from (now() at time zone 'UTC') - nextcall)) filter (where nextcall < (now() at time zone 'UTC')), 0)::float8 as max_late
from ir_cron where active`;

export interface SchemaRow {
  schemaname: string;
  rd: number;
  ins: number;
  upd: number;
  del: number;
}

export const SCHEMA_TABLES = `
select schemaname::text as schemaname, sum(seq_tup_read + coalesce(idx_tup_fetch, 0))::float8 as rd,
  sum(n_tup_ins)::float8 as ins, sum(n_tup_upd)::float8 as upd, sum(n_tup_del)::float8 as del
from pg_stat_user_tables group by 1`;
