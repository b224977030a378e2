/**
 * Storage for what tenantscope concludes and does: findings, workload bands, reports and the
 * rebalancer's audit log. PostgreSQL through `pg` when `storage.url` is set, otherwise embedded
 * PGlite in `storage.dataDir`; one set of migrations and the same queries on both.
 *
 * Times go in and come out as ISO 8601 strings (the contract's `date-time`), never Date: input must
 * carry a zone (`Z` or `±hh:mm`) and is normalised to `Date.prototype.toISOString()` form, UTC with
 * milliseconds, which is also what every read returns. Time ranges are inclusive at both ends.
 * JSON documents (finding bodies, band features, report bodies, audit details) are stored as jsonb.
 */
import { randomUUID } from 'node:crypto';
import { StorageError, describeError, redactUrl } from '../lib/errors.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/log.js';
import type { Band, BandLevel, Finding, IsoDateTime, Tier } from '../analyzer/contract/index.js';
import { BAND_LEVELS, FINDING_KINDS, RESOURCE_KINDS, SEVERITIES, TIERS } from '../analyzer/contract/index.js';
import type { SqlDriver, SqlSession } from './driver.js';
import { loadMigrations, migrate, type Migration } from './migrate.js';
import { createPostgresDriver } from './postgres-driver.js';
import { createPgliteDriver } from './pglite-driver.js';

export interface TimeRange {
  from: IsoDateTime;
  to: IsoDateTime;
}

/** A finding as stored: `end` is always present, null while the episode is open. */
export type StoredFinding = Finding & { end: IsoDateTime | null };

export interface FindingQuery {
  /** only findings where this tenant is the suspect or a victim */
  tenant?: string;
}

export interface FindingStore {
  /**
   * Inserts or updates by `id`. An existing episode keeps its first `start`; everything else (end,
   * confidence, severity, suspect, victims, evidence, extra properties) is replaced by the latest
   * analysis. One transaction: all or nothing. When an id appears twice in a batch the last wins.
   * Returns one stored finding per input.
   */
  upsertFindings(findings: readonly Finding[]): Promise<StoredFinding[]>;
  /** Findings whose episode overlaps [from, to] (an open episode extends to now), oldest start first. */
  listFindings(window: TimeRange, query?: FindingQuery): Promise<StoredFinding[]>;
  /** Findings whose episode has not ended, oldest start first. */
  listOpenFindings(query?: FindingQuery): Promise<StoredFinding[]>;
  getFinding(id: string): Promise<StoredFinding | null>;
}

export interface BandInput {
  tenant: string;
  band: BandLevel;
  /** when the classification was made; becomes `since` when the band changes */
  at: IsoDateTime;
  features?: Record<string, unknown>;
  tier?: Tier | null;
  mismatch?: boolean;
}

/** A band as stored: `previous` and `since` are always present. */
export type StoredBand = Band & { previous: BandLevel | null; since: IsoDateTime };

export interface BandStore {
  /**
   * Records a tenant's classification. Only a change of band creates a history row (with `since` =
   * `at` and `previous` = the band it replaces); the same band again refreshes features, tier and
   * mismatch of the current row and keeps `since`. Calls for one tenant must come in time order.
   */
  recordBand(input: BandInput): Promise<{ band: StoredBand; changed: boolean }>;
  /**
   * recordBand for many tenants in one transaction (one per tick, not one per tenant), in order: a
   * tenant may appear more than once. All or nothing. Returns one result per input.
   */
  recordBands(inputs: readonly BandInput[]): Promise<Array<{ band: StoredBand; changed: boolean }>>;
  /** The current band of every tenant that has one, by tenant id. */
  currentBands(): Promise<StoredBand[]>;
  /** A tenant's band changes, oldest first; `range` filters on `since`. */
  bandHistory(tenant: string, range?: TimeRange): Promise<StoredBand[]>;
}

/** Report kinds produced today; others are accepted as written. */
export type ReportKind = 'rightsizing' | 'profitability' | (string & {});

export interface ReportInput<B = unknown> {
  kind: ReportKind;
  /** the period the report covers */
  period: TimeRange;
  body: B;
}

export interface StoredReport<B = unknown> extends ReportInput<B> {
  id: string;
  createdAt: IsoDateTime;
}

export interface ReportStore {
  /** Saves a report; `createdAt` comes from the injected clock, `id` is a new UUID. */
  saveReport<B>(input: ReportInput<B>): Promise<StoredReport<B>>;
  /** The most recently created report of a kind, or null. The body is returned as stored (unchecked). */
  latestReport<B = unknown>(kind: ReportKind): Promise<StoredReport<B> | null>;
  getReport<B = unknown>(id: string): Promise<StoredReport<B> | null>;
}

export interface AuditInput {
  /** defaults to the injected clock's now */
  at?: IsoDateTime;
  /** who acted, e.g. `rebalancer` or a user name */
  actor: string;
  /** what was done, e.g. `move-tenant`, `cordon-node` */
  action: string;
  /** what it was done to, e.g. `tenant/acme` */
  target: string;
  details?: Record<string, unknown>;
  /** true when the action was only planned, not performed */
  dryRun: boolean;
}

export interface AuditRecord extends Required<AuditInput> {
  /** increasing in append order */
  id: string;
}

export interface AuditLog {
  /** Appends one record. The table refuses UPDATE, DELETE and TRUNCATE: there is no way back. */
  appendAudit(input: AuditInput): Promise<AuditRecord>;
  /** Records with `at` in [from, to], in time then append order. */
  listAudit(range: TimeRange, opts?: { limit?: number }): Promise<AuditRecord[]>;
}

export interface Storage extends FindingStore, BandStore, ReportStore, AuditLog {
  /** `postgres` or `pglite` */
  readonly kind: 'postgres' | 'pglite';
  /** where the data lives, safe to log: the redacted URL or the data directory */
  readonly where: string;
  /** Closes the pool or the embedded database; later calls fail with a StorageError. Idempotent. */
  close(): Promise<void>;
}

export interface StorageOptions {
  /** PostgreSQL URL (storage.url); absent = embedded PGlite in dataDir */
  url?: string;
  /** the embedded database's directory (storage.dataDir), created if missing */
  dataDir: string;
}

export interface StorageDeps {
  clock: Clock;
  logger: Logger;
}

/** Opens the storage and brings its schema up to date. Throws StorageError naming the storage and a remedy. */
export async function createStorage(opts: StorageOptions, deps: StorageDeps): Promise<Storage> {
  const migrations = loadMigrations();
  let driver: SqlDriver;
  if (opts.url !== undefined) {
    checkUrl(opts.url);
    driver = createPostgresDriver({ url: opts.url }, deps.logger);
  } else {
    try {
      driver = await createPgliteDriver(opts.dataDir);
    } catch (err) {
      if (err instanceof StorageError) throw err;
      throw new StorageError(
        `storage ${opts.dataDir}: open embedded database: ${reason(err)} — check that storage.dataDir is a writable directory used by no other tenantscope process`,
        { cause: err },
      );
    }
  }
  return openOnDriver(driver, migrations, deps);
}

/** Builds the storage on an open driver (tests reach the driver too); closes the driver when migrating fails. */
export async function openOnDriver(driver: SqlDriver, migrations: readonly Migration[], deps: StorageDeps): Promise<Storage> {
  try {
    await migrate(driver, migrations, deps);
  } catch (err) {
    await driver.close().catch(() => undefined);
    if (err instanceof StorageError) throw err;
    throw new StorageError(`storage ${driver.where}: connect and migrate: ${reason(err)} — ${remedy(err, driver.kind)}`, { cause: err });
  }
  deps.logger.info('storage ready', { storage: driver.where, backend: driver.kind });
  return createSqlStorage(driver, deps);
}

function checkUrl(url: string): void {
  let protocol: string | undefined;
  try {
    protocol = new URL(url).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol !== 'postgres:' && protocol !== 'postgresql:') {
    throw new StorageError(
      `storage ${redactUrl(url)}: not a postgres:// URL — set storage.url (or TENANTSCOPE_STORAGE_URL) to postgres://user:password@host:5432/database, or remove it to use the embedded store`,
    );
  }
}

/** describeError, plus the inner reasons of an AggregateError (`localhost` tries ::1 and 127.0.0.1, its own message is empty). */
function reason(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return err.errors.map((e) => describeError(e)).join('; ');
  return describeError(err);
}

function remedy(err: unknown, kind: 'postgres' | 'pglite'): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (kind === 'pglite') {
    return 'retry; if it keeps failing, the embedded database in storage.dataDir may be damaged: stop tenantscope and move the directory aside to start afresh';
  }
  switch (code) {
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EHOSTUNREACH':
    case 'ETIMEDOUT':
    case 'EAI_AGAIN':
      return 'is PostgreSQL running and is storage.url (TENANTSCOPE_STORAGE_URL) right?';
    case '28P01':
    case '28000':
      return 'check the user and password in storage.url';
    case '3D000':
      return 'create the database or fix its name in storage.url';
    case '42501':
      return "grant the storage user CREATE on the database's schema";
    case '42P01':
      return 'the schema is missing; restart tenantscope so it migrates';
    default:
      if (err instanceof Error && /timeout/i.test(err.message)) return 'is PostgreSQL reachable from here and is storage.url right?';
      return 'check the PostgreSQL server log and retry';
  }
}

// --- values in and out -----------------------------------------------------------------------------

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i;

function isoOut(v: unknown): IsoDateTime {
  return (v instanceof Date ? v : new Date(String(v))).toISOString();
}

function jsonIn(value: unknown): string {
  return JSON.stringify(value ?? null);
}

interface FindingRow {
  id: string;
  start_at: Date;
  end_at: Date | null;
  body: Record<string, unknown>;
}

interface BandRow {
  tenant: string;
  band: BandLevel;
  previous: BandLevel | null;
  since: Date;
  body: { features?: Record<string, unknown>; tier?: Tier | null; mismatch?: boolean };
}

interface ReportRow {
  id: string;
  kind: string;
  period_from: Date;
  period_to: Date;
  body: unknown;
  created_at: Date;
}

interface AuditRow {
  id: string;
  at: Date;
  actor: string;
  action: string;
  target: string;
  details: Record<string, unknown>;
  dry_run: boolean;
}

function findingOut(r: FindingRow): StoredFinding {
  return { ...(r.body as Omit<Finding, 'id' | 'start' | 'end'>), id: r.id, start: isoOut(r.start_at), end: r.end_at === null ? null : isoOut(r.end_at) };
}

function bandOut(r: BandRow): StoredBand {
  const out: StoredBand = { tenant: r.tenant, band: r.band, previous: r.previous, since: isoOut(r.since) };
  if (r.body.features !== undefined) out.features = r.body.features;
  if (r.body.tier !== undefined) out.tier = r.body.tier;
  if (r.body.mismatch !== undefined) out.mismatch = r.body.mismatch;
  return out;
}

function reportOut<B>(r: ReportRow): StoredReport<B> {
  return { id: r.id, kind: r.kind, period: { from: isoOut(r.period_from), to: isoOut(r.period_to) }, body: r.body as B, createdAt: isoOut(r.created_at) };
}

function auditOut(r: AuditRow): AuditRecord {
  return { id: r.id, at: isoOut(r.at), actor: r.actor, action: r.action, target: r.target, details: r.details, dryRun: r.dry_run };
}

const FINDING_COLS = 'id, start_at, end_at, body';
const BAND_COLS = 'tenant, band, previous, since, body';
const REPORT_COLS = 'id, kind, period_from, period_to, body, created_at';
const AUDIT_COLS = 'seq::text AS id, at, actor, action, target, details, dry_run';
// suspect or victim: the victims array contains an object with this tenant
const TENANT_FILTER = `(suspect_tenant = $T OR body->'victims' @> jsonb_build_array(jsonb_build_object('tenant', $T::text)))`;

/** The storage logic over any SqlDriver. */
export function createSqlStorage(driver: SqlDriver, deps: StorageDeps): Storage {
  const { clock } = deps;
  const where = driver.where;
  let closed = false;

  const bad = (op: string, msg: string): StorageError => new StorageError(`storage ${where}: ${op}: ${msg}`);

  const time = (op: string, field: string, v: unknown): IsoDateTime => {
    if (typeof v !== 'string' || !ISO.test(v) || Number.isNaN(Date.parse(v))) {
      throw bad(op, `${field} ${JSON.stringify(v)} is not an ISO 8601 date-time with a zone — pass e.g. new Date(ms).toISOString()`);
    }
    return new Date(v).toISOString();
  };
  const range = (op: string, r: TimeRange): [IsoDateTime, IsoDateTime] => {
    const from = time(op, 'from', r.from);
    const to = time(op, 'to', r.to);
    if (from > to) throw bad(op, `range from ${from} is after to ${to} — swap them`);
    return [from, to];
  };
  const oneOf = (op: string, field: string, v: unknown, allowed: readonly string[]): void => {
    if (typeof v !== 'string' || !allowed.includes(v)) throw bad(op, `${field} ${JSON.stringify(v)} is not one of ${allowed.join(', ')}`);
  };
  const text = (op: string, field: string, v: unknown): string => {
    if (typeof v !== 'string' || v === '') throw bad(op, `${field} ${JSON.stringify(v)} must be a non-empty string`);
    return v;
  };

  /** Runs a database step; anything but our own StorageError becomes one naming the storage, the step and a remedy. */
  async function run<T>(op: string, fn: () => Promise<T>): Promise<T> {
    if (closed) throw bad(op, 'storage is closed — open a new one with createStorage()');
    try {
      return await fn();
    } catch (err) {
      if (err instanceof StorageError) throw err;
      throw new StorageError(`storage ${where}: ${op}: ${reason(err)} — ${remedy(err, driver.kind)}`, { cause: err });
    }
  }

  interface FindingParam {
    id: string;
    kind: string;
    resource_kind: string;
    resource_id: string;
    suspect_tenant: string | null;
    start_at: IsoDateTime;
    end_at: IsoDateTime | null;
    confidence: number;
    severity: string;
    body: Record<string, unknown>;
  }

  function findingParam(f: Finding): FindingParam {
    const op = 'upsert finding';
    const id = text(op, 'id', f.id);
    const start = time(op, `finding ${id} start`, f.start);
    const end = f.end === undefined || f.end === null ? null : time(op, `finding ${id} end`, f.end);
    if (end !== null && end < start) throw bad(op, `finding ${id} ends (${end}) before it starts (${start}) — the analyzer must not emit that`);
    if (typeof f.confidence !== 'number' || !(f.confidence >= 0 && f.confidence <= 1)) {
      throw bad(op, `finding ${id} confidence ${JSON.stringify(f.confidence)} is outside 0..1`);
    }
    oneOf(op, `finding ${id} kind`, f.kind, FINDING_KINDS);
    oneOf(op, `finding ${id} severity`, f.severity, SEVERITIES);
    oneOf(op, `finding ${id} resource.kind`, f.resource?.kind, RESOURCE_KINDS);
    text(op, `finding ${id} resource.id`, f.resource?.id);
    if (!Array.isArray(f.victims)) throw bad(op, `finding ${id} victims ${JSON.stringify(f.victims)} must be an array (empty when there are none)`);
    const { id: _id, start: _start, end: _end, ...body } = f;
    return {
      id,
      kind: f.kind,
      resource_kind: f.resource.kind,
      resource_id: f.resource.id,
      suspect_tenant: f.suspect?.tenant ?? null,
      start_at: start,
      end_at: end,
      confidence: f.confidence,
      severity: f.severity,
      body,
    };
  }

  /**
   * One statement for the whole batch: the analyzer upserts every finding of a tick, and a statement
   * per finding costs milliseconds each on PGlite. The batch travels as one jsonb array (the same on
   * both drivers, where JS arrays as parameters are not).
   */
  async function upsertBatch(tx: SqlSession, findings: readonly Finding[], now: string): Promise<StoredFinding[]> {
    // ON CONFLICT cannot touch one row twice in a statement: the last finding of an id wins.
    const byId = new Map<string, FindingParam>();
    for (const f of findings) {
      const p = findingParam(f);
      byId.delete(p.id);
      byId.set(p.id, p);
    }
    const params = [...byId.values()];
    const ids = jsonIn(params.map((p) => p.id));
    const kept = await tx.query<{ id: string; start_at: Date }>(
      `SELECT id, start_at FROM tenantscope_findings WHERE id IN (SELECT jsonb_array_elements_text($1::text::jsonb)) FOR UPDATE`,
      [ids],
    );
    for (const k of kept) {
      const p = byId.get(k.id)!;
      // The stored start wins, so a new end can fall before it when an id is reused for an earlier episode.
      if (p.end_at !== null && p.end_at < isoOut(k.start_at)) {
        throw bad('upsert finding', `finding ${p.id} would end (${p.end_at}) before its stored start (${isoOut(k.start_at)}) — use a new id for a new episode`);
      }
    }
    const rows = await tx.query<FindingRow>(
      `INSERT INTO tenantscope_findings AS f
         (id, kind, resource_kind, resource_id, suspect_tenant, start_at, end_at, confidence, severity, body, created_at, updated_at)
       SELECT x.id, x.kind, x.resource_kind, x.resource_id, x.suspect_tenant, x.start_at, x.end_at, x.confidence, x.severity, x.body, $2, $2
       FROM jsonb_to_recordset($1::text::jsonb) AS x(
         id text, kind text, resource_kind text, resource_id text, suspect_tenant text,
         start_at timestamptz, end_at timestamptz, confidence double precision, severity text, body jsonb)
       ON CONFLICT (id) DO UPDATE SET
         kind = excluded.kind, resource_kind = excluded.resource_kind, resource_id = excluded.resource_id,
         suspect_tenant = excluded.suspect_tenant, end_at = excluded.end_at, confidence = excluded.confidence,
         severity = excluded.severity, body = excluded.body, updated_at = excluded.updated_at
       RETURNING ${FINDING_COLS}`,
      [jsonIn(params), now],
    );
    const stored = new Map(rows.map((r) => [r.id, findingOut(r)]));
    return findings.map((f) => stored.get(f.id)!);
  }

  interface BandState {
    band: BandLevel;
    previous: BandLevel | null;
    since: IsoDateTime;
    /** the stored row, or the index of a row this batch inserts */
    seq?: string;
    insert?: number;
  }

  /**
   * Band changes for a batch of classifications (the analyzer classifies every tenant each tick):
   * decided in JS against the current rows, then written with one INSERT and one UPDATE. Writers are
   * serialised by a transaction-scoped advisory lock, so two concurrent first classifications of a
   * tenant cannot both see "no current band" and both insert.
   */
  async function recordBatch(tx: SqlSession, inputs: readonly BandInput[], now: string): Promise<Array<{ band: StoredBand; changed: boolean }>> {
    const op = 'record band';
    const checked = inputs.map((input) => {
      const tenant = text(op, 'tenant', input.tenant);
      oneOf(op, `band of tenant ${tenant}`, input.band, BAND_LEVELS);
      if (input.tier !== undefined && input.tier !== null) oneOf(op, `tier of tenant ${tenant}`, input.tier, TIERS);
      const at = time(op, `band of tenant ${tenant} at`, input.at);
      // through JSON, so what we return is what jsonb gives back on the next read
      const body = JSON.parse(jsonIn({ features: input.features, tier: input.tier, mismatch: input.mismatch })) as BandRow['body'];
      return { tenant, band: input.band, at, body };
    });
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('tenantscope.band'))`);
    const tenants = jsonIn([...new Set(checked.map((c) => c.tenant))]);
    const current = await tx.query<{ seq: string; tenant: string; band: BandLevel; previous: BandLevel | null; since: Date }>(
      `SELECT DISTINCT ON (tenant) seq::text AS seq, tenant, band, previous, since FROM tenantscope_band_changes
       WHERE tenant IN (SELECT jsonb_array_elements_text($1::text::jsonb)) ORDER BY tenant, seq DESC`,
      [tenants],
    );
    const state = new Map<string, BandState>(current.map((c) => [c.tenant, { band: c.band, previous: c.previous, since: isoOut(c.since), seq: c.seq }]));
    const inserts: Array<{ ord: number; tenant: string; band: BandLevel; previous: BandLevel | null; since: IsoDateTime; body: BandRow['body'] }> = [];
    const updates = new Map<string, BandRow['body']>();
    const out: Array<{ band: StoredBand; changed: boolean }> = [];
    for (const c of checked) {
      const cur = state.get(c.tenant);
      let changed: boolean;
      if (cur && cur.band === c.band) {
        changed = false;
        if (cur.insert !== undefined) inserts[cur.insert]!.body = c.body;
        else updates.set(cur.seq!, c.body);
      } else {
        if (cur && c.at < cur.since) {
          throw bad(op, `tenant ${c.tenant} band ${c.band} at ${c.at} is older than its current band ${cur.band} since ${cur.since} — record bands in time order`);
        }
        changed = true;
        const next: BandState = { band: c.band, previous: cur?.band ?? null, since: c.at, insert: inserts.length };
        inserts.push({ ord: inserts.length, tenant: c.tenant, band: c.band, previous: next.previous, since: c.at, body: c.body });
        state.set(c.tenant, next);
      }
      const st = state.get(c.tenant)!;
      out.push({ changed, band: bandOut({ tenant: c.tenant, band: st.band, previous: st.previous, since: new Date(st.since), body: c.body }) });
    }
    if (inserts.length > 0) {
      // ORDER BY ord: identity values, and so history order, follow the order of the batch
      await tx.query(
        `INSERT INTO tenantscope_band_changes (tenant, band, previous, since, body, updated_at)
         SELECT x.tenant, x.band, x.previous, x.since, x.body, $2
         FROM jsonb_to_recordset($1::text::jsonb) AS x(ord int, tenant text, band text, previous text, since timestamptz, body jsonb)
         ORDER BY x.ord`,
        [jsonIn(inserts), now],
      );
    }
    if (updates.size > 0) {
      await tx.query(
        `UPDATE tenantscope_band_changes AS b SET body = x.body, updated_at = $2
         FROM jsonb_to_recordset($1::text::jsonb) AS x(seq bigint, body jsonb) WHERE b.seq = x.seq`,
        [jsonIn([...updates].map(([seq, body]) => ({ seq, body }))), now],
      );
    }
    return out;
  }

  const tenantClause = (q: FindingQuery | undefined, params: unknown[]): string => {
    if (q?.tenant === undefined) return '';
    params.push(q.tenant);
    return ` AND ${TENANT_FILTER.replaceAll('$T', `$${params.length}`)}`;
  };

  return {
    kind: driver.kind,
    where,

    upsertFindings: (findings) =>
      run('upsert findings', async () => {
        if (findings.length === 0) return [];
        const now = new Date(clock.now()).toISOString();
        return driver.transaction((tx) => upsertBatch(tx, findings, now));
      }),

    listFindings: (window, query) =>
      run('list findings', async () => {
        const params: unknown[] = range('list findings', window);
        const rows = await driver.query<FindingRow>(
          `SELECT ${FINDING_COLS} FROM tenantscope_findings
           WHERE start_at <= $2 AND (end_at IS NULL OR end_at >= $1)${tenantClause(query, params)}
           ORDER BY start_at, id`,
          params,
        );
        return rows.map(findingOut);
      }),

    listOpenFindings: (query) =>
      run('list open findings', async () => {
        const params: unknown[] = [];
        const rows = await driver.query<FindingRow>(
          `SELECT ${FINDING_COLS} FROM tenantscope_findings WHERE end_at IS NULL${tenantClause(query, params)} ORDER BY start_at, id`,
          params,
        );
        return rows.map(findingOut);
      }),

    getFinding: (id) =>
      run('get finding', async () => {
        const rows = await driver.query<FindingRow>(`SELECT ${FINDING_COLS} FROM tenantscope_findings WHERE id = $1`, [id]);
        return rows[0] ? findingOut(rows[0]) : null;
      }),

    recordBand: (input) =>
      run('record band', async () => {
        const now = new Date(clock.now()).toISOString();
        return (await driver.transaction((tx) => recordBatch(tx, [input], now)))[0]!;
      }),

    recordBands: (inputs) =>
      run('record bands', async () => {
        if (inputs.length === 0) return [];
        const now = new Date(clock.now()).toISOString();
        return driver.transaction((tx) => recordBatch(tx, inputs, now));
      }),

    currentBands: () =>
      run('current bands', async () => {
        const rows = await driver.query<BandRow>(`SELECT DISTINCT ON (tenant) ${BAND_COLS} FROM tenantscope_band_changes ORDER BY tenant, seq DESC`);
        return rows.map(bandOut);
      }),

    bandHistory: (tenant, r) =>
      run('band history', async () => {
        const params: unknown[] = [tenant];
        let cond = '';
        if (r) {
          params.push(...range('band history', r));
          cond = ' AND since BETWEEN $2 AND $3';
        }
        const rows = await driver.query<BandRow>(`SELECT ${BAND_COLS} FROM tenantscope_band_changes WHERE tenant = $1${cond} ORDER BY seq`, params);
        return rows.map(bandOut);
      }),

    saveReport: <B>(input: ReportInput<B>) =>
      run('save report', async () => {
        const op = 'save report';
        const kind = text(op, 'kind', input.kind);
        const [from, to] = range(op, input.period);
        const body = JSON.stringify(input.body);
        if (body === undefined) throw bad(op, `body of ${kind} report is not JSON — pass a plain object`);
        const rows = await driver.query<ReportRow>(
          `INSERT INTO tenantscope_reports (id, kind, period_from, period_to, body, created_at)
           VALUES ($1, $2, $3, $4, $5::text::jsonb, $6) RETURNING ${REPORT_COLS}`,
          [randomUUID(), kind, from, to, body, new Date(clock.now()).toISOString()],
        );
        return reportOut<B>(rows[0]!);
      }),

    latestReport: <B>(kind: ReportKind) =>
      run('latest report', async () => {
        const rows = await driver.query<ReportRow>(`SELECT ${REPORT_COLS} FROM tenantscope_reports WHERE kind = $1 ORDER BY created_at DESC, seq DESC LIMIT 1`, [kind]);
        return rows[0] ? reportOut<B>(rows[0]) : null;
      }),

    getReport: <B>(id: string) =>
      run('get report', async () => {
        const rows = await driver.query<ReportRow>(`SELECT ${REPORT_COLS} FROM tenantscope_reports WHERE id = $1`, [id]);
        return rows[0] ? reportOut<B>(rows[0]) : null;
      }),

    appendAudit: (input) =>
      run('append audit record', async () => {
        const op = 'append audit record';
        const at = input.at === undefined ? new Date(clock.now()).toISOString() : time(op, 'at', input.at);
        if (typeof input.dryRun !== 'boolean') throw bad(op, `dryRun ${JSON.stringify(input.dryRun)} must be true or false`);
        const rows = await driver.query<AuditRow>(
          `INSERT INTO tenantscope_audit_log (at, actor, action, target, details, dry_run)
           VALUES ($1, $2, $3, $4, $5::text::jsonb, $6) RETURNING ${AUDIT_COLS}`,
          [at, text(op, 'actor', input.actor), text(op, 'action', input.action), text(op, 'target', input.target), jsonIn(input.details ?? {}), input.dryRun],
        );
        return auditOut(rows[0]!);
      }),

    listAudit: (r, opts) =>
      run('list audit records', async () => {
        const [from, to] = range('list audit records', r);
        const limit = opts?.limit;
        if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw bad('list audit records', `limit ${limit} must be a positive integer`);
        const rows = await driver.query<AuditRow>(
          `SELECT ${AUDIT_COLS} FROM tenantscope_audit_log WHERE at BETWEEN $1 AND $2 ORDER BY at, seq${limit === undefined ? '' : ' LIMIT $3'}`,
          limit === undefined ? [from, to] : [from, to, limit],
        );
        return rows.map(auditOut);
      }),

    async close() {
      if (closed) return;
      closed = true;
      await driver.close();
    },
  };
}
