/**
 * The PostgreSQL collector: one per cluster (`sources.postgres[]`).
 *
 * - `collect()` is one poll of the cluster-wide views over one connection, in one short read-only
 *   transaction with statement_timeout (steps: database, cluster, connections, statements, locks,
 *   sizes when due) and then, when due, the Odoo queue step over a bounded set of per-database
 *   connections. A failed step is counted and retried next poll; the others still export.
 * - A 1 s sampler (own connection) counts active client sessions by wait class: DB load.
 * - `start()` runs both through lib/loop (never throws out of a tick, never stacks).
 *
 * Schema-per-tenant clusters (options.schemaTenantDatabases) — what can and cannot be attributed:
 *  - sessions (connections, wait load) are attributed by role name (tenancy.rules.postgres role);
 *    sessions of a role no rule maps (e.g. a shared application role) stay with the database's tenant;
 *  - table activity (pg_stat_user_tables: rows read/inserted/updated/deleted) is attributed by schema;
 *  - NOT attributable per schema: pg_stat_database counters (commits, blocks, temp, active time),
 *    pg_stat_statements latency (keyed by database and role, not schema), locks beyond the waiting
 *    session's role, WAL and database size. Those stay on the database's tenant (usually
 *    _unattributed for a shared database); use a role per tenant to get latency and load per tenant.
 */
import pg from 'pg';
import type { Counter, Gauge } from 'prom-client';
import type { PostgresSourceConfig } from '../../config/index.js';
import { SourceError, describeError, redactUrl } from '../../lib/errors.js';
import { createLoop, type Loop } from '../../lib/loop.js';
import { UNATTRIBUTED_TENANT, normalizeApplicationName } from '../../tenancy/index.js';
import { counterIncrement, CounterDeltas, StaleSeries } from '../series.js';
import type { Collector, CollectorDeps } from '../types.js';
import { postgresMetricsFor, type PostgresMetrics } from './metrics.js';
import * as sql from './sql.js';
import { StatementDeltas, type StatementRow } from './statements.js';

type Labels = Record<string, string>;
type AnyMetric = Counter<string> | Gauge<string>;
type Step = 'connect' | 'database' | 'cluster' | 'connections' | 'statements' | 'locks' | 'sizes' | 'queue' | 'schema' | 'sample' | 'poll_skipped' | 'sample_skipped';

export interface PostgresCollector extends Collector {
  /** one sample of pg_stat_activity for wait-event load (the sampler loop calls it every activitySampleIntervalMs) */
  sampleActivity(): Promise<void>;
  /** the last connection or poll failure, undefined while the cluster answers */
  readonly lastError: SourceError | undefined;
}

const APP = 'tenantscope';
const MAX_CHANNELS_PER_DB = 20;

interface Conn {
  client: pg.Client;
  broken: boolean;
}

export function createPostgresCollector(source: PostgresSourceConfig, deps: CollectorDeps): PostgresCollector {
  const { resolver, clock } = deps;
  const o = source.options;
  const cluster = source.name;
  const where = `postgres source "${cluster}"`;
  const safeUrl = redactUrl(source.url);
  const logger = deps.logger.child({ source: 'postgres', pg_cluster: cluster });
  const m: PostgresMetrics = postgresMetricsFor(deps.registry);
  const schemaDbs = new Set(o.schemaTenantDatabases);

  const urlFor = (datname?: string): string => {
    if (datname === undefined) return source.url;
    const u = new URL(source.url);
    u.pathname = '/' + encodeURIComponent(datname);
    return u.toString();
  };
  const monitorDb = decodeURIComponent(new URL(source.url).pathname.slice(1)) || 'postgres';

  const tenantOf = (datname: string, role?: string | null): string => {
    if (role && schemaDbs.has(datname)) return resolver.postgresRole(role) ?? resolver.postgresDatabase(datname);
    return resolver.postgresDatabase(datname);
  };
  const dbLabels = (datname: string, tenant = tenantOf(datname)): Labels => ({ tenant, pg_cluster: cluster, datname });

  // --- connections -------------------------------------------------------------------------
  const open = async (datname: string | undefined, purpose: string): Promise<Conn> => {
    const client = new pg.Client({
      connectionString: urlFor(datname),
      application_name: `${APP}-${purpose}`,
      statement_timeout: o.statementTimeoutMs,
      // client-side guard for a network that hangs without an error; the server-side timeout fires first
      query_timeout: o.statementTimeoutMs + 2000,
      connectionTimeoutMillis: o.connectTimeoutMs,
    });
    const conn: Conn = { client, broken: false };
    // without an 'error' listener a server crash would crash the process
    client.on('error', () => (conn.broken = true));
    client.on('end', () => (conn.broken = true));
    try {
      await client.connect();
    } catch (err) {
      conn.broken = true;
      await client.end().catch(() => undefined);
      throw err;
    }
    return conn;
  };
  const close = async (c: Conn | undefined): Promise<void> => {
    if (!c) return;
    c.broken = true;
    await c.client.end().catch(() => undefined);
  };
  let main: Conn | undefined;
  let sampler: Conn | undefined;

  const unreachable = (err: unknown, step: Step): SourceError =>
    new SourceError(where, step, `${describeError(err)} at ${safeUrl} — is the server running and the role allowed to connect? (sources.postgres[name=${cluster}].url)`, {
      cause: err,
      code: 'TS_SOURCE_UNREACHABLE',
    });

  // --- bookkeeping ---------------------------------------------------------------------------
  const clusterDeltas = new CounterDeltas();
  // keyed by datname + schema; forgotten when the database goes
  const schemaDeltas = new CounterDeltas();
  const stmtDeltas = new StatementDeltas();
  const stale = new StaleSeries();
  const sizeStale = new StaleSeries();
  const queueStale = new StaleSeries();
  const stepOf = new Map<AnyMetric, Step>();
  const own = (step: Step, ...metrics: AnyMetric[]) => metrics.forEach((x) => stepOf.set(x, step));
  own('connections', m.connections);
  own('locks', m.lockWaiting, m.lockLongestWaitSeconds, m.lockBlocked);
  // series written outside the main poll (sampler, sizes, queues, schema) are removed when their database disappears
  const side = new Map<AnyMetric, Map<string, Labels>>();
  const touchSide = <L extends Labels>(metric: AnyMetric, labels: L): L => {
    let s = side.get(metric);
    if (!s) side.set(metric, (s = new Map()));
    s.set(JSON.stringify(labels), labels);
    return labels;
  };

  const timeStep = async <T>(step: Step, f: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await f();
    } finally {
      m.scrapeSeconds.set({ pg_cluster: cluster, step }, (performance.now() - t0) / 1000);
    }
  };
  const countError = (step: Step) => m.scrapeErrors.inc({ pg_cluster: cluster, step });

  let lastError: SourceError | undefined;
  let upState: boolean | undefined;
  const markDown = (err: SourceError) => {
    lastError = err;
    m.up.set({ pg_cluster: cluster }, 0);
    if (upState !== false) logger.error(err.message, { code: err.code });
    upState = false;
  };
  const markUp = () => {
    m.up.set({ pg_cluster: cluster }, 1);
    if (upState === false) logger.info(`${where}: reachable again at ${safeUrl}`);
    upState = true;
    lastError = undefined;
  };

  let pgssWarned: string | undefined;
  const pgssUnavailable = (reason: string) => {
    m.statementsAvailable.set({ pg_cluster: cluster }, 0);
    if (pgssWarned === reason) return;
    pgssWarned = reason;
    logger.warn(
      `${where}: per-tenant latency unavailable: ${reason} — run CREATE EXTENSION pg_stat_statements in database "${monitorDb}" ` +
        `(and set shared_preload_libraries = 'pg_stat_statements', then restart); grant pg_monitor (or pg_read_all_stats) to the collector's role. Other metrics still flow.`,
    );
  };

  // --- steps of the main poll ---------------------------------------------------------------
  let sizesAt = Number.NEGATIVE_INFINITY;
  let queueAt = Number.NEGATIVE_INFINITY;
  let odooCheckedAt = Number.NEGATIVE_INFINITY;
  const lastSize = new Map<string, { oid: string; bytes: number; at: number }>();
  let knownDbs: sql.DatabaseRow[] = [];

  /**
   * Per-database state, created once per database oid: the label set, the previous value of every
   * source counter, and which series exist. The hot path per poll is then a subtraction per field
   * and an inc() only when something changed (most tenants are idle most of the time), with no
   * label-key building per series — what keeps a poll of 500 databases cheap.
   */
  interface DbState {
    oid: string;
    datname: string;
    labels: Labels;
    last: Float64Array;
    stmtLast: boolean;
    connLimit: boolean;
  }
  const DB_FIELDS: readonly { metric: Counter<string>; extra?: Labels; value: (r: sql.DatabaseRow) => number | null }[] = [
    { metric: m.xactCommit, value: (r) => r.xact_commit },
    { metric: m.xactRollback, value: (r) => r.xact_rollback },
    { metric: m.blksRead, value: (r) => r.blks_read },
    { metric: m.blksHit, value: (r) => r.blks_hit },
    { metric: m.tuples, extra: { op: 'returned' }, value: (r) => r.tup_returned },
    { metric: m.tuples, extra: { op: 'fetched' }, value: (r) => r.tup_fetched },
    { metric: m.tuples, extra: { op: 'inserted' }, value: (r) => r.tup_inserted },
    { metric: m.tuples, extra: { op: 'updated' }, value: (r) => r.tup_updated },
    { metric: m.tuples, extra: { op: 'deleted' }, value: (r) => r.tup_deleted },
    { metric: m.tempBytes, value: (r) => r.temp_bytes },
    { metric: m.deadlocks, value: (r) => r.deadlocks },
    // pg_stat_database times are milliseconds
    { metric: m.activeSeconds, value: (r) => (r.active_time === null ? null : r.active_time / 1000) },
    { metric: m.sessionSeconds, value: (r) => (r.session_time === null ? null : r.session_time / 1000) },
    { metric: m.idleInTransactionSeconds, value: (r) => (r.idle_in_transaction_time === null ? null : r.idle_in_transaction_time / 1000) },
    { metric: m.sessions, value: (r) => r.sessions },
    { metric: m.sessionsEnded, extra: { reason: 'abandoned' }, value: (r) => r.sessions_abandoned },
    { metric: m.sessionsEnded, extra: { reason: 'fatal' }, value: (r) => r.sessions_fatal },
    { metric: m.sessionsEnded, extra: { reason: 'killed' }, value: (r) => r.sessions_killed },
  ];
  const STMT_METRICS = [m.statementCalls, m.statementSeconds, m.statementIoSeconds, m.statementTempBlocks, m.statementRows] as const;
  const dbStates = new Map<string, DbState>();

  const forgetDb = (st: DbState) => {
    DB_FIELDS.forEach((f, i) => {
      if (!Number.isNaN(st.last[i]!)) f.metric.remove(f.extra ? { ...st.labels, ...f.extra } : st.labels);
    });
    if (st.stmtLast) for (const x of STMT_METRICS) x.remove(st.labels);
    if (st.connLimit) m.databaseConnectionLimit.remove(st.labels);
    dbStates.delete(st.oid);
  };

  const stepDatabase = async (c: pg.Client): Promise<void> => {
    const { rows } = await c.query<sql.DatabaseRow>(sql.DATABASES);
    knownDbs = rows;
    const seen = new Set<string>();
    for (const r of rows) {
      seen.add(r.oid);
      let st = dbStates.get(r.oid);
      if (st && st.datname !== r.datname) forgetDb(st); // renamed: new labels
      st = dbStates.get(r.oid);
      if (!st) {
        st = { oid: r.oid, datname: r.datname, labels: dbLabels(r.datname), last: new Float64Array(DB_FIELDS.length).fill(Number.NaN), stmtLast: false, connLimit: false };
        dbStates.set(r.oid, st);
      }
      for (let i = 0; i < DB_FIELDS.length; i++) {
        const f = DB_FIELDS[i]!;
        const v = f.value(r);
        if (v === null || !Number.isFinite(v)) continue;
        const prev = st.last[i]!;
        st.last[i] = v;
        const labels = f.extra ? { ...st.labels, ...f.extra } : st.labels;
        // first sight: the series exists at 0, history before the collector started is not counted
        if (Number.isNaN(prev)) f.metric.inc(labels, 0);
        else if (v !== prev) f.metric.inc(labels, counterIncrement(prev, v)); // lower = the source was reset
      }
      if (r.datconnlimit >= 0) {
        m.databaseConnectionLimit.set(st.labels, r.datconnlimit);
        st.connLimit = true;
      } else if (st.connLimit) {
        m.databaseConnectionLimit.remove(st.labels);
        st.connLimit = false;
      }
    }
    for (const st of [...dbStates.values()]) if (!seen.has(st.oid)) forgetDb(st);
    // a database that went away: remove what the sampler, size and queue steps wrote for it
    const live = new Set(rows.map((r) => r.datname));
    for (const [metric, s] of side) {
      for (const [key, labels] of s) {
        if (labels.datname !== undefined && !live.has(labels.datname)) {
          metric.remove(labels);
          s.delete(key);
        }
      }
    }
    for (const d of lastSize.keys()) if (!live.has(d)) lastSize.delete(d);
    schemaDeltas.forget((key) => !live.has(key.slice(0, key.indexOf('\u0001'))));
  };

  const stepCluster = async (c: pg.Client): Promise<string | null> => {
    const { rows } = await c.query<sql.ClusterRow>(sql.CLUSTER);
    const r = rows[0];
    if (!r) return null;
    const l = { pg_cluster: cluster };
    m.maxConnections.set(l, r.max_connections);
    m.archivedTotal.inc(l, clusterDeltas.delta('archived', r.archived_count));
    m.archiveFailedTotal.inc(l, clusterDeltas.delta('archive_failed', r.failed_count));
    if (r.last_archived_age === null) m.lastArchivedAgeSeconds.remove(l);
    else m.lastArchivedAgeSeconds.set(l, Math.max(0, r.last_archived_age));
    return r.pgss_schema;
  };

  const stepConnections = async (c: pg.Client): Promise<void> => {
    const { rows } = await c.query<sql.ConnectionRow>(sql.CONNECTIONS);
    // Odoo's odoo-<pid> names collapse before aggregation: one series per application, not per worker
    const agg = new Map<string, { labels: Labels; n: number }>();
    for (const r of rows) {
      const labels = { ...dbLabels(r.datname, tenantOf(r.datname, r.usename)), state: r.state, application: normalizeApplicationName(r.application_name) || 'unknown' };
      const key = JSON.stringify(labels);
      const a = agg.get(key);
      if (a) a.n += r.n;
      else agg.set(key, { labels, n: r.n });
    }
    for (const { labels, n } of agg.values()) m.connections.set(stale.touch(m.connections, labels), n);
  };

  const stepStatements = async (c: pg.Client, schema: string | null): Promise<void> => {
    if (schema === null) {
      pgssUnavailable(`extension pg_stat_statements is not installed in database "${monitorDb}"`);
      return;
    }
    let info: sql.StatementsInfoRow | undefined;
    let raw: sql.StatementSqlRow[];
    try {
      raw = (await c.query<sql.StatementSqlRow>(sql.statements(schema))).rows;
      info = (await c.query<sql.StatementsInfoRow>(sql.statementsInfo(schema))).rows[0];
    } catch (err) {
      // 55000 "must be loaded via shared_preload_libraries", 42501 permission denied: a setup problem, not an outage
      const code = (err as { code?: unknown }).code;
      if (code === '55000' || code === '42501' || code === '42883' || code === '42P01') {
        pgssUnavailable(describeError(err));
        return;
      }
      throw err;
    }
    if (pgssWarned !== undefined) logger.info(`${where}: pg_stat_statements readable again`);
    pgssWarned = undefined;
    m.statementsAvailable.set({ pg_cluster: cluster }, 1);
    const rows: StatementRow[] = raw.map((r) => ({ dbid: Number(r.dbid), key: r.k, calls: r.calls, execSeconds: r.exec_s, ioSeconds: r.io_s, tempBlocks: r.temp, rows: r.rows }));
    if (info) m.statementsDealloc.inc({ pg_cluster: cluster }, clusterDeltas.delta('dealloc', info.dealloc));
    const byDb = stmtDeltas.update(rows, info?.stats_reset);
    // every live database gets its series (created at 0) so a quiet tenant reads 0, not absent
    for (const st of dbStates.values()) {
      const t = byDb.get(Number(st.oid));
      if (!st.stmtLast) {
        for (const x of STMT_METRICS) x.inc(st.labels, 0);
        st.stmtLast = true;
      }
      if (!t) continue;
      if (t.calls > 0) m.statementCalls.inc(st.labels, t.calls);
      if (t.execSeconds > 0) m.statementSeconds.inc(st.labels, t.execSeconds);
      if (t.ioSeconds > 0) m.statementIoSeconds.inc(st.labels, t.ioSeconds);
      if (t.tempBlocks > 0) m.statementTempBlocks.inc(st.labels, t.tempBlocks);
      if (t.rows > 0) m.statementRows.inc(st.labels, t.rows);
    }
  };

  const stepLocks = async (c: pg.Client): Promise<void> => {
    const { rows } = await c.query<sql.LockRow>(sql.LOCKS);
    const per = new Map<string, { waiting: number; longest: number; blockers: Map<string, number> }>();
    for (const r of rows) {
      let p = per.get(r.datname);
      if (!p) per.set(r.datname, (p = { waiting: 0, longest: 0, blockers: new Map() }));
      p.waiting++;
      p.longest = Math.max(p.longest, r.wait_s);
      const tenants = new Set(r.blocker_datnames.map((d) => (d ? resolver.postgresDatabase(d) : UNATTRIBUTED_TENANT)));
      // blockers that ended between the two reads, or that have no database (prepared transactions)
      if (tenants.size === 0 && r.n_blockers > 0) tenants.add(UNATTRIBUTED_TENANT);
      for (const t of tenants) p.blockers.set(t, (p.blockers.get(t) ?? 0) + 1);
    }
    for (const [datname, p] of per) {
      const l = dbLabels(datname);
      m.lockWaiting.set(stale.touch(m.lockWaiting, l), p.waiting);
      m.lockLongestWaitSeconds.set(stale.touch(m.lockLongestWaitSeconds, l), p.longest);
      for (const [blocker_tenant, n] of p.blockers) m.lockBlocked.set(stale.touch(m.lockBlocked, { ...l, blocker_tenant }), n);
    }
  };

  const stepSizes = async (c: pg.Client): Promise<void> => {
    const { rows } = await c.query<sql.SizeRow>(sql.SIZES);
    const now = clock.now();
    for (const r of rows) {
      const l = touchSide(m.databaseBytes, dbLabels(r.datname));
      m.databaseBytes.set(sizeStale.touch(m.databaseBytes, l), r.bytes);
      const prev = lastSize.get(r.datname);
      if (prev && prev.oid === r.oid && now > prev.at) {
        touchSide(m.databaseGrowthBytesPerSecond, l);
        m.databaseGrowthBytesPerSecond.set(sizeStale.touch(m.databaseGrowthBytesPerSecond, l), (r.bytes - prev.bytes) / ((now - prev.at) / 1000));
      }
      lastSize.set(r.datname, { oid: r.oid, bytes: r.bytes, at: now });
    }
    sizeStale.sweep();
  };

  // --- per-database steps (Odoo queues, schema tables) over a bounded set of connections --------
  /** databases where queue_job/ir_cron were absent: checked again only on the size cadence */
  const noOdoo = new Set<string>();

  const withDatabase = async <T>(datname: string, f: (c: pg.Client) => Promise<T>): Promise<T> => {
    const conn = await open(datname, 'db');
    try {
      await conn.client.query(sql.beginPoll(o.statementTimeoutMs));
      const out = await f(conn.client);
      await conn.client.query('COMMIT');
      return out;
    } finally {
      await close(conn);
    }
  };

  const pollOdoo = async (c: pg.Client, datname: string): Promise<boolean> => {
    const t = (await c.query<sql.OdooTablesRow>(sql.ODOO_TABLES)).rows[0];
    if (!t || (!t.has_queue && !t.has_cron)) return false;
    const l = dbLabels(datname);
    if (t.has_queue) {
      const backlog = (await c.query<sql.QueueRow>(sql.QUEUE_BACKLOG)).rows;
      const oldest = (await c.query<{ oldest: number | null }>(sql.QUEUE_OLDEST)).rows[0]?.oldest ?? null;
      // channels come from Odoo configuration; the cap guards against a runaway one anyway
      const channels = [...new Set(backlog.map((b) => b.channel))].slice(0, MAX_CHANNELS_PER_DB);
      const agg = new Map<string, number>();
      for (const b of backlog) {
        const channel = channels.includes(b.channel) ? b.channel || 'root' : 'other';
        const k = `${b.state}\u0001${channel}`;
        agg.set(k, (agg.get(k) ?? 0) + b.n);
      }
      for (const [k, n] of agg) {
        const [state = '', channel = ''] = k.split('\u0001');
        m.queueJobs.set(queueStale.touch(m.queueJobs, touchSide(m.queueJobs, { ...l, state, channel })), n);
      }
      m.queueOldestPendingSeconds.set(queueStale.touch(m.queueOldestPendingSeconds, touchSide(m.queueOldestPendingSeconds, l)), Math.max(0, oldest ?? 0));
    }
    if (t.has_cron) {
      const cron = (await c.query<sql.CronRow>(sql.cronLate(o.cronGraceSeconds))).rows[0];
      m.cronLateJobs.set(queueStale.touch(m.cronLateJobs, touchSide(m.cronLateJobs, l)), cron?.late ?? 0);
      m.cronMaxLatenessSeconds.set(queueStale.touch(m.cronMaxLatenessSeconds, touchSide(m.cronMaxLatenessSeconds, l)), Math.max(0, cron?.max_late ?? 0));
    }
    return true;
  };

  const pollSchemas = async (c: pg.Client, datname: string): Promise<void> => {
    const rows = (await c.query<sql.SchemaRow>(sql.SCHEMA_TABLES)).rows;
    const byTenant = new Map<string, Record<'read' | 'inserted' | 'updated' | 'deleted', number>>();
    for (const r of rows) {
      const tenant = resolver.postgresSchema(r.schemaname);
      if (tenant === undefined) continue; // pg_catalog-like or shared schemas: not a tenant's activity
      const k = `${datname}\u0001schema\u0001${r.schemaname}`;
      let t = byTenant.get(tenant);
      if (!t) byTenant.set(tenant, (t = { read: 0, inserted: 0, updated: 0, deleted: 0 }));
      t.read += schemaDeltas.delta(`${k}\u0001rd`, r.rd);
      t.inserted += schemaDeltas.delta(`${k}\u0001ins`, r.ins);
      t.updated += schemaDeltas.delta(`${k}\u0001upd`, r.upd);
      t.deleted += schemaDeltas.delta(`${k}\u0001del`, r.del);
    }
    for (const [tenant, t] of byTenant)
      for (const [op, v] of Object.entries(t)) m.schemaTuples.inc(touchSide(m.schemaTuples, { ...dbLabels(datname, tenant), op }), v);
    // a tenant whose schemas were dropped from this database: its series and counter history go
    // (else its last totals would be exported for as long as the database lives)
    const seen = new Set(rows.map((r) => `${datname}\u0001schema\u0001${r.schemaname}\u0001`));
    schemaDeltas.forget((key) => key.startsWith(`${datname}\u0001schema\u0001`) && !seen.has(key.slice(0, key.lastIndexOf('\u0001') + 1)));
    const s = side.get(m.schemaTuples);
    for (const [key, labels] of s ?? []) {
      if (labels.datname === datname && !byTenant.has(labels.tenant ?? '')) {
        m.schemaTuples.remove(labels);
        s!.delete(key);
      }
    }
  };

  const pollDatabases = async (): Promise<void> => {
    const now = clock.now();
    const recheck = now - odooCheckedAt >= o.sizeIntervalMs;
    if (recheck) {
      odooCheckedAt = now;
      noOdoo.clear();
    }
    const targets = knownDbs.filter((d) => d.datallowconn && (schemaDbs.has(d.datname) || (o.queueJobs && !noOdoo.has(d.datname))));
    const failed = new Set<string>();
    let next = 0;
    const worker = async () => {
      while (next < targets.length) {
        const d = targets[next++]!;
        try {
          await withDatabase(d.datname, async (c) => {
            if (schemaDbs.has(d.datname)) await pollSchemas(c, d.datname);
            if (o.queueJobs && !(await pollOdoo(c, d.datname))) noOdoo.add(d.datname);
          });
        } catch (err) {
          failed.add(d.datname);
          countError('queue');
          logger.warn(`${where}: database "${d.datname}": queue/schema poll failed: ${describeError(err)} — check CONNECT and SELECT grants (${sql.GRANTS_DOC})`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(o.maxDatabaseConnections, targets.length) }, worker));
    // a database that failed keeps its series (retried next time); one without the tables drops them
    queueStale.sweep((_metric, labels) => !failed.has(labels.datname ?? ''));
  };

  // --- the poll --------------------------------------------------------------------------------
  const collect = async (): Promise<void> => {
    const t0 = performance.now();
    try {
      if (!main || main.broken) {
        await close(main);
        main = undefined;
        main = await timeStep('connect', () => open(undefined, 'poll'));
      }
    } catch (err) {
      countError('connect');
      markDown(unreachable(err, 'connect'));
      return;
    }
    const c = main.client;
    const failed = new Set<Step>();
    const doSizes = clock.now() - sizesAt >= o.sizeIntervalMs;
    try {
      await c.query(sql.beginPoll(o.statementTimeoutMs));
      let pgssSchema: string | null = null;
      const run = async (step: Step, f: () => Promise<unknown>) => {
        try {
          await timeStep(step, f);
        } catch (err) {
          if (main?.broken) throw err;
          failed.add(step);
          countError(step);
          logger.warn(`${where}: step ${step} failed: ${describeError(err)} — retried next poll (statement_timeout ${o.statementTimeoutMs} ms: sources.postgres[name=${cluster}].options.statementTimeoutMs)`);
          // the failed statement aborted the transaction: open a fresh one for the remaining steps
          await c.query('ROLLBACK');
          await c.query(sql.beginPoll(o.statementTimeoutMs));
        }
      };
      await run('database', () => stepDatabase(c));
      await run('cluster', async () => (pgssSchema = await stepCluster(c)));
      await run('connections', () => stepConnections(c));
      await run('statements', () => stepStatements(c, pgssSchema));
      await run('locks', () => stepLocks(c));
      if (doSizes) {
        await run('sizes', () => stepSizes(c));
        if (!failed.has('sizes')) sizesAt = clock.now();
      }
      await c.query('COMMIT');
    } catch (err) {
      countError('connect');
      await close(main);
      main = undefined;
      markDown(unreachable(err, 'connect'));
      return;
    }
    markUp();
    // per-database series follow pg_database (dbStates); the rest are swept unless their step failed
    stale.sweep((metric) => !failed.has(stepOf.get(metric as AnyMetric) ?? 'connections'));
    m.scrapeSeconds.set({ pg_cluster: cluster, step: 'poll' }, (performance.now() - t0) / 1000);

    if ((o.queueJobs || schemaDbs.size > 0) && clock.now() - queueAt >= o.queueIntervalMs && !failed.has('database')) {
      queueAt = clock.now();
      await timeStep('queue', pollDatabases);
    }
  };

  // --- the activity sampler ----------------------------------------------------------------------
  let samplerDown = false;
  const sampleActivity = async (): Promise<void> => {
    const t0 = performance.now();
    try {
      if (!sampler || sampler.broken) {
        await close(sampler);
        sampler = undefined;
        sampler = await open(undefined, 'sampler');
      }
      const { rows } = await sampler.client.query<sql.ActivityRow>(sql.ACTIVITY);
      // each sample stands for one interval of wall time: rate() of the counter = average active sessions
      const seconds = o.activitySampleIntervalMs / 1000;
      for (const r of rows) {
        const labels = touchSide(m.waitLoad, { ...dbLabels(r.datname, tenantOf(r.datname, r.usename)), wait_event_type: r.w });
        m.waitLoad.inc(labels, r.n * seconds);
      }
      if (samplerDown) logger.info(`${where}: activity sampler reconnected`);
      samplerDown = false;
    } catch (err) {
      countError('sample');
      if (sampler?.broken) {
        await close(sampler);
        sampler = undefined;
      }
      // once per outage: the main poll reports the outage itself, the sampler would repeat it every second
      if (!samplerDown) logger.warn(`${where}: activity sample failed: ${describeError(err)} at ${safeUrl} — retried every ${o.activitySampleIntervalMs} ms`);
      samplerDown = true;
    } finally {
      m.scrapeSeconds.set({ pg_cluster: cluster, step: 'sample' }, (performance.now() - t0) / 1000);
    }
  };

  let loops: Loop[] = [];
  return {
    name: `postgres:${cluster}`,
    collect,
    sampleActivity,
    get lastError() {
      return lastError;
    },
    health: () => (lastError ? { ok: false, detail: lastError.message } : { ok: true }),
    async start() {
      if (loops.length) return;
      loops = [
        createLoop({ name: `${where} poll`, intervalMs: o.pollIntervalMs, tick: collect, logger, immediate: true, onSkip: () => countError('poll_skipped') }),
        createLoop({ name: `${where} activity sampler`, intervalMs: o.activitySampleIntervalMs, tick: sampleActivity, logger, immediate: true, onSkip: () => countError('sample_skipped') }),
      ];
      for (const l of loops) l.start();
    },
    async stop() {
      const ls = loops;
      loops = [];
      await Promise.all(ls.map((l) => l.stop()));
      const [a, b] = [main, sampler];
      main = sampler = undefined;
      await Promise.all([close(a), close(b)]);
    },
  };
}
