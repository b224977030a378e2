/**
 * The storage contract, written once and run against every backend: embedded PGlite
 * (store/storage.pglite.test.ts, unit project) and real PostgreSQL
 * (test/integration/storage.pg.test.ts). A backend passes when it behaves identically here.
 *
 * The harness opens one database per suite (PGlite costs seconds to start) and reopens it where
 * a test is about persistence. Tests share that database, so each writes its own ids, tenants and
 * time ranges and asserts on those alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import { ManualClock } from '../lib/clock.js';
import { StorageError } from '../lib/errors.js';
import { createMemoryLogger } from '../lib/log.js';
import { analysisSchema, type AnalysisResult, type Finding } from '../analyzer/contract/index.js';
import { freePort } from '../test/support/stack.js';

// ajv-formats is CommonJS: under NodeNext its default import is module.exports, the plugin sits on .default
const addFormats = ajvFormats.default;
import type { SqlDriver } from './driver.js';
import { loadMigrations, migrate, MIGRATIONS_TABLE, type Migration } from './migrate.js';
import { createStorage, openOnDriver, type Storage, type StorageDeps } from './storage.js';

export interface StorageHarness {
  /** Opens a driver on the suite's database; after a close, the next open sees the same data. */
  openDriver(): Promise<SqlDriver>;
}

// Opening PGlite runs a ~10 MB WASM PostgreSQL (and initdb the first time): seconds, more on a busy machine.
const OPEN_TIMEOUT_MS = 120_000;
const T0 = Date.parse('2026-03-02T08:00:00.000Z');
const iso = (minutes: number): string => new Date(T0 + minutes * 60_000).toISOString();

function finding(id: string, over: Partial<Finding> = {}): Finding {
  return {
    id,
    kind: 'noisy-neighbor',
    resource: { kind: 'postgres', id: 'pg-main', mechanism: 'io' },
    start: iso(0),
    end: null,
    suspect: { tenant: 'acme', share: 0.71, baselineShare: 0.2, signal: 'postgres.io_seconds' },
    victims: [{ tenant: 'globex', signal: 'postgres.mean_query_seconds', baseline: 0.004, observed: 0.031 }],
    confidence: 0.8,
    severity: 'warning',
    evidence: [{ series: 'tenantscope_pg_statement_io_seconds_total', tenant: 'acme', values: [1, 2, 3] }],
    ...over,
  };
}

async function storageError(p: Promise<unknown>): Promise<StorageError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StorageError);
  return err as StorageError;
}

export function defineStorageSuite(name: string, harness: StorageHarness): void {
  describe(`storage contract: ${name}`, () => {
    const clock = new ManualClock(Date.parse('2026-03-02T12:00:00.000Z'));
    const logger = createMemoryLogger();
    const deps: StorageDeps = { clock, logger };
    const migrations = loadMigrations();
    let driver: SqlDriver;
    let storage: Storage;

    const reopen = async (): Promise<void> => {
      await storage.close();
      driver = await harness.openDriver();
      storage = await openOnDriver(driver, migrations, deps);
    };

    beforeAll(async () => {
      driver = await harness.openDriver();
      storage = await openOnDriver(driver, migrations, deps);
    }, OPEN_TIMEOUT_MS);
    afterAll(async () => {
      await storage?.close();
    });

    describe('migrations', () => {
      it('are recorded once and are a no-op when run again on the same database', async () => {
        const before = await driver.query<{ version: number; name: string }>(`SELECT version, name FROM ${MIGRATIONS_TABLE} ORDER BY version`);
        expect(before.map((r) => r.version)).toEqual(migrations.map((m) => m.version));
        expect(before[0]).toEqual({ version: 1, name: 'initial' });
        expect(await migrate(driver, migrations, deps)).toEqual([]);
        const after = await driver.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${MIGRATIONS_TABLE}`);
        expect(after[0]!.n).toBe(migrations.length);
      });

      it('apply a failing migration not at all, and say which file failed', async () => {
        const broken: Migration = {
          version: 900,
          name: 'broken',
          file: '900_broken.sql',
          sql: 'CREATE TABLE tenantscope_contract_probe (x int); SELECT no_such_column FROM tenantscope_contract_probe;',
          checksum: 'x',
        };
        const err = await storageError(migrate(driver, [...migrations, broken], deps));
        expect(err.message).toContain('900_broken.sql');
        expect(err.message).toContain(driver.where);
        expect(err.message).toMatch(/nothing of it was applied/);
        const probe = await driver.query<{ t: string | null }>(`SELECT to_regclass('tenantscope_contract_probe')::text AS t`);
        expect(probe[0]!.t).toBeNull();
        const versions = await driver.query<{ version: number }>(`SELECT version FROM ${MIGRATIONS_TABLE} ORDER BY version`);
        expect(versions.map((r) => r.version)).toEqual(migrations.map((m) => m.version));
      });

      it('refuse a database migrated by a newer tenantscope', async () => {
        await driver.query(`INSERT INTO ${MIGRATIONS_TABLE} (version, name, checksum, applied_at) VALUES (901, 'from_the_future', 'x', now())`);
        try {
          const err = await storageError(migrate(driver, migrations, deps));
          expect(err.message).toContain('901 (from_the_future)');
          expect(err.message).toMatch(/upgrade tenantscope/);
        } finally {
          await driver.query(`DELETE FROM ${MIGRATIONS_TABLE} WHERE version = 901`);
        }
      });
    });

    describe('findings', () => {
      it('upsert keeps id and first start, and updates end, confidence, severity, victims and evidence', async () => {
        const [first] = await storage.upsertFindings([finding('f-upsert', { start: iso(0) })]);
        expect(first).toMatchObject({ id: 'f-upsert', start: iso(0), end: null, confidence: 0.8 });

        const [second] = await storage.upsertFindings([
          finding('f-upsert', {
            start: iso(5), // re-analysis of a later window sees the episode start later: the first start wins
            end: iso(30),
            confidence: 0.93,
            severity: 'critical',
            victims: [{ tenant: 'globex' }, { tenant: 'initech', signal: 'ingress.p95_latency_seconds', baseline: 0.2, observed: 1.4 }],
            evidence: [{ note: 'second look' }],
          }),
        ]);
        expect(second).toEqual({
          ...finding('f-upsert'),
          start: iso(0),
          end: iso(30),
          confidence: 0.93,
          severity: 'critical',
          victims: [{ tenant: 'globex' }, { tenant: 'initech', signal: 'ingress.p95_latency_seconds', baseline: 0.2, observed: 1.4 }],
          evidence: [{ note: 'second look' }],
        });
        expect(await storage.getFinding('f-upsert')).toEqual(second);
        expect(await storage.getFinding('f-never-written')).toBeNull();
      });

      it('normalises times to UTC ISO with milliseconds and rejects times without a zone', async () => {
        const [f] = await storage.upsertFindings([finding('f-tz', { start: '2026-03-02T10:00:00+02:00', end: '2026-03-02T08:30:00Z' })]);
        expect(f!.start).toBe('2026-03-02T08:00:00.000Z');
        expect(f!.end).toBe('2026-03-02T08:30:00.000Z');
        const err = await storageError(storage.upsertFindings([finding('f-nozone', { start: '2026-03-02 10:00' })]));
        expect(err.message).toContain('"2026-03-02 10:00"');
        expect(err.message).toContain('f-nozone');
        expect(err.message).toContain(storage.where);
        expect(await storage.getFinding('f-nozone')).toBeNull();
      });

      it('a batch is all or nothing', async () => {
        const err = await storageError(storage.upsertFindings([finding('f-batch-ok'), finding('f-batch-bad', { confidence: 1.5 })]));
        expect(err.message).toContain('f-batch-bad');
        expect(err.message).toContain('1.5');
        expect(await storage.getFinding('f-batch-ok')).toBeNull();
      });

      it('upserts a batch in one statement; an id twice in a batch keeps the last', async () => {
        const batch = Array.from({ length: 50 }, (_, i) => finding(`b-${i}`, { start: iso(i), confidence: i / 100 }));
        const stored = await storage.upsertFindings([...batch, finding('b-7', { start: iso(7), confidence: 0.99, severity: 'critical' })]);
        expect(stored).toHaveLength(51);
        expect(stored.slice(0, 50).map((f) => f.id)).toEqual(batch.map((f) => f.id));
        expect(await storage.getFinding('b-7')).toMatchObject({ confidence: 0.99, severity: 'critical' });
        expect(await storage.getFinding('b-49')).toMatchObject({ confidence: 0.49, start: iso(49) });
        expect(await storage.upsertFindings([])).toEqual([]);
      });

      it('rejects a malformed finding naming its id, the field and the value', async () => {
        const cases: Array<[Partial<Finding> | Record<string, unknown>, RegExp]> = [
          [{ kind: 'noisy' }, /kind "noisy" is not one of noisy-neighbor/],
          [{ severity: 'fatal' }, /severity "fatal" is not one of info, warning, critical/],
          [{ resource: { kind: 'disk', id: 'x' } }, /resource\.kind "disk" is not one of node/],
          [{ resource: { kind: 'node', id: '' } }, /resource\.id "" must be a non-empty string/],
          [{ victims: undefined }, /victims undefined must be an array/],
          [{ end: 'soon' }, /end "soon" is not an ISO 8601 date-time/],
        ];
        for (const [over, message] of cases) {
          const err = await storageError(storage.upsertFindings([{ ...finding('f-malformed'), ...over } as Finding]));
          expect(err.message).toContain('f-malformed');
          expect(err.message).toMatch(message);
        }
        expect(await storage.getFinding('f-malformed')).toBeNull();
      });

      it('refuses an end before the stored start', async () => {
        await storage.upsertFindings([finding('f-reuse', { start: iso(100) })]);
        const err = await storageError(storage.upsertFindings([finding('f-reuse', { start: iso(10), end: iso(20) })]));
        expect(err.message).toMatch(/new id for a new episode/);
        expect(await storage.getFinding('f-reuse')).toMatchObject({ start: iso(100), end: null });
      });

      it('lists findings overlapping a window, inclusive at both ends, open episodes reaching to now', async () => {
        // a day of its own so other tests' findings stay out of these windows
        const day = 24 * 60;
        const at = (m: number) => iso(10 * day + m);
        await storage.upsertFindings([
          finding('w-early', { start: at(0), end: at(10) }),
          finding('w-mid', { start: at(60), end: at(90) }),
          finding('w-open', { start: at(120), end: null }),
        ]);
        // other tests' open episodes reach into every later window: look at this test's ids only
        const ids = async (from: number, to: number) =>
          (await storage.listFindings({ from: at(from), to: at(to) })).map((f) => f.id).filter((id) => id.startsWith('w-'));
        expect(await ids(-30, -1)).toEqual([]);
        expect(await ids(10, 10)).toEqual(['w-early']); // touching the end
        expect(await ids(11, 59)).toEqual([]); // the gap between episodes
        expect(await ids(5, 60)).toEqual(['w-early', 'w-mid']);
        expect(await ids(95, 119)).toEqual([]);
        expect(await ids(1000, 2000)).toEqual(['w-open']);
        expect(await ids(0, 2000)).toEqual(['w-early', 'w-mid', 'w-open']);
        const err = await storageError(storage.listFindings({ from: at(10), to: at(0) }));
        expect(err.message).toMatch(/swap/);
      });

      it('lists open findings, and closes them when an upsert sets end', async () => {
        await storage.upsertFindings([finding('o-1', { start: iso(200) }), finding('o-2', { start: iso(100) })]);
        const open = (await storage.listOpenFindings()).map((f) => f.id).filter((id) => id.startsWith('o-'));
        expect(open).toEqual(['o-2', 'o-1']); // oldest start first
        await storage.upsertFindings([finding('o-2', { start: iso(100), end: iso(150) })]);
        const after = (await storage.listOpenFindings()).map((f) => f.id).filter((id) => id.startsWith('o-'));
        expect(after).toEqual(['o-1']);
        expect((await storage.listOpenFindings()).every((f) => f.end === null)).toBe(true);
      });

      it('filters findings by tenant as suspect or victim, and no other tenant sees them', async () => {
        const at = (m: number) => iso(20 * 24 * 60 + m);
        await storage.upsertFindings([
          finding('t-a-hurts-b', { start: at(0), suspect: { tenant: 'tenant-a' }, victims: [{ tenant: 'tenant-b' }] }),
          finding('t-c-hurts-d', { start: at(1), suspect: { tenant: 'tenant-c' }, victims: [{ tenant: 'tenant-d' }, { tenant: 'tenant-e' }] }),
          finding('t-platform', { kind: 'platform-degradation', start: at(2), suspect: null, victims: [{ tenant: 'tenant-b' }, { tenant: 'tenant-e' }] }),
        ]);
        const w = { from: at(0), to: at(10) };
        const ids = async (tenant: string) => (await storage.listFindings(w, { tenant })).map((f) => f.id);
        expect(await ids('tenant-a')).toEqual(['t-a-hurts-b']);
        expect(await ids('tenant-b')).toEqual(['t-a-hurts-b', 't-platform']);
        expect(await ids('tenant-d')).toEqual(['t-c-hurts-d']);
        expect(await ids('tenant-e')).toEqual(['t-c-hurts-d', 't-platform']);
        expect(await ids('tenant-z')).toEqual([]);
        expect((await storage.listOpenFindings({ tenant: 'tenant-c' })).map((f) => f.id)).toEqual(['t-c-hurts-d']);
      });
    });

    describe('bands', () => {
      it('only a change of band creates a row; the same band refreshes features and keeps since', async () => {
        const first = await storage.recordBand({ tenant: 'band-x', band: 'low', at: iso(0), features: { requestsPerSecond: 2 }, tier: 'shared', mismatch: false });
        expect(first).toEqual({
          changed: true,
          band: { tenant: 'band-x', band: 'low', previous: null, since: iso(0), features: { requestsPerSecond: 2 }, tier: 'shared', mismatch: false },
        });
        const same = await storage.recordBand({ tenant: 'band-x', band: 'low', at: iso(15), features: { requestsPerSecond: 3 }, tier: 'shared', mismatch: false });
        expect(same.changed).toBe(false);
        expect(same.band).toMatchObject({ band: 'low', previous: null, since: iso(0), features: { requestsPerSecond: 3 } });

        const up = await storage.recordBand({ tenant: 'band-x', band: 'high', at: iso(30), features: { requestsPerSecond: 90 }, tier: 'shared', mismatch: true });
        expect(up).toMatchObject({ changed: true, band: { band: 'high', previous: 'low', since: iso(30), mismatch: true } });
        const down = await storage.recordBand({ tenant: 'band-x', band: 'medium', at: iso(45) });
        expect(down.band).toEqual({ tenant: 'band-x', band: 'medium', previous: 'high', since: iso(45) });

        const history = await storage.bandHistory('band-x');
        expect(history.map((b) => [b.band, b.previous, b.since])).toEqual([
          ['low', null, iso(0)],
          ['high', 'low', iso(30)],
          ['medium', 'high', iso(45)],
        ]);
        expect(history[0]!.features).toEqual({ requestsPerSecond: 3 });
        expect((await storage.bandHistory('band-x', { from: iso(20), to: iso(40) })).map((b) => b.band)).toEqual(['high']);
        expect((await storage.currentBands()).find((b) => b.tenant === 'band-x')).toEqual(down.band);

        const err = await storageError(storage.recordBand({ tenant: 'band-x', band: 'low', at: iso(40) }));
        expect(err.message).toMatch(/time order/);
        expect(err.message).toContain('band-x');
        expect((await storage.bandHistory('band-x')).length).toBe(3);
      });

      it('keeps each tenant’s band history to itself', async () => {
        await storage.recordBand({ tenant: 'iso-a', band: 'low', at: iso(0) });
        await storage.recordBand({ tenant: 'iso-b', band: 'high', at: iso(1) });
        await storage.recordBand({ tenant: 'iso-a', band: 'medium', at: iso(2) });
        await storage.recordBand({ tenant: 'iso-b', band: 'high', at: iso(3) });
        await storage.recordBand({ tenant: 'iso-b', band: 'low', at: iso(4) });
        await storage.recordBand({ tenant: 'iso-a', band: 'medium', at: iso(5) });

        const a = await storage.bandHistory('iso-a');
        const b = await storage.bandHistory('iso-b');
        expect(a.map((x) => [x.band, x.previous])).toEqual([
          ['low', null],
          ['medium', 'low'],
        ]);
        expect(b.map((x) => [x.band, x.previous])).toEqual([
          ['high', null],
          ['low', 'high'],
        ]);
        expect(a.every((x) => x.tenant === 'iso-a')).toBe(true);
        expect(b.every((x) => x.tenant === 'iso-b')).toBe(true);
        // a tenant whose name is a prefix of another's sees nothing of it
        expect(await storage.bandHistory('iso')).toEqual([]);
        const current = new Map((await storage.currentBands()).map((x) => [x.tenant, x.band]));
        expect(current.get('iso-a')).toBe('medium');
        expect(current.get('iso-b')).toBe('low');
      });

      it('records a batch of classifications in order, a tenant possibly twice, all or nothing', async () => {
        const results = await storage.recordBands([
          { tenant: 'batch-a', band: 'low', at: iso(0), features: { requestsPerSecond: 1 } },
          { tenant: 'batch-b', band: 'high', at: iso(0) },
          { tenant: 'batch-a', band: 'medium', at: iso(1) },
          { tenant: 'batch-a', band: 'medium', at: iso(2), features: { requestsPerSecond: 9 } },
        ]);
        expect(results.map((r) => [r.band.tenant, r.band.band, r.band.previous, r.band.since, r.changed])).toEqual([
          ['batch-a', 'low', null, iso(0), true],
          ['batch-b', 'high', null, iso(0), true],
          ['batch-a', 'medium', 'low', iso(1), true],
          ['batch-a', 'medium', 'low', iso(1), false],
        ]);
        // what the batch returned is what a read returns
        expect(await storage.bandHistory('batch-a')).toEqual([
          { tenant: 'batch-a', band: 'low', previous: null, since: iso(0), features: { requestsPerSecond: 1 } },
          { tenant: 'batch-a', band: 'medium', previous: 'low', since: iso(1), features: { requestsPerSecond: 9 } },
        ]);
        expect(results[3]!.band).toEqual((await storage.bandHistory('batch-a'))[1]);

        const next = await storage.recordBands([
          { tenant: 'batch-b', band: 'high', at: iso(3), mismatch: true },
          { tenant: 'batch-a', band: 'high', at: iso(3) },
        ]);
        expect(next.map((r) => r.changed)).toEqual([false, true]);
        expect((await storage.bandHistory('batch-b'))[0]).toMatchObject({ since: iso(0), mismatch: true });

        const err = await storageError(
          storage.recordBands([
            { tenant: 'batch-c', band: 'low', at: iso(4) },
            { tenant: 'batch-a', band: 'extreme' as 'high', at: iso(4) },
          ]),
        );
        expect(err.message).toMatch(/band of tenant batch-a "extreme" is not one of low, medium, high/);
        expect(await storage.bandHistory('batch-c')).toEqual([]);
        expect(await storage.recordBands([])).toEqual([]);
      });

      it('serialises concurrent first classifications of one tenant', async () => {
        const results = await Promise.all([
          storage.recordBand({ tenant: 'race', band: 'low', at: iso(0) }),
          storage.recordBand({ tenant: 'race', band: 'low', at: iso(0) }),
          storage.recordBand({ tenant: 'race', band: 'low', at: iso(0) }),
        ]);
        expect(results.filter((r) => r.changed).length).toBe(1);
        expect(await storage.bandHistory('race')).toHaveLength(1);
      });
    });

    describe('reports', () => {
      it('saves reports and returns the latest of a kind and any by id', async () => {
        const period = { from: iso(0), to: iso(60 * 24 * 30) };
        clock.set(Date.parse('2026-04-01T00:00:00.000Z'));
        const r1 = await storage.saveReport({ kind: 'rightsizing', period, body: { tenants: [{ id: 'acme', cpuCores: 2 }], note: 'first' } });
        clock.set(Date.parse('2026-04-02T00:00:00.000Z'));
        const r2 = await storage.saveReport({ kind: 'rightsizing', period, body: { tenants: [], note: 'second' } });
        const p = await storage.saveReport({ kind: 'profitability', period, body: [1, 'two', { three: 3 }] });

        expect(r1.createdAt).toBe('2026-04-01T00:00:00.000Z');
        expect(r1.id).not.toBe(r2.id);
        expect((await storage.latestReport('rightsizing'))?.id).toBe(r2.id);
        expect((await storage.latestReport('profitability'))?.body).toEqual([1, 'two', { three: 3 }]); // a JSON array stays an array
        expect(await storage.getReport(r1.id)).toEqual({ id: r1.id, kind: 'rightsizing', period, body: { tenants: [{ id: 'acme', cpuCores: 2 }], note: 'first' }, createdAt: '2026-04-01T00:00:00.000Z' });
        expect(await storage.getReport(p.id)).toEqual(p);
        expect(await storage.latestReport('no-such-kind')).toBeNull();
        expect(await storage.getReport('00000000-0000-0000-0000-000000000000')).toBeNull();
      });
    });

    describe('audit', () => {
      it('appends records and lists them by time range in order', async () => {
        const at = (m: number) => iso(40 * 24 * 60 + m);
        clock.set(Date.parse(at(7)));
        const a = await storage.appendAudit({ at: at(5), actor: 'rebalancer', action: 'move-tenant', target: 'tenant/acme', details: { from: 'node-1', to: 'node-2' }, dryRun: true });
        const b = await storage.appendAudit({ actor: 'rebalancer', action: 'move-tenant', target: 'tenant/acme', details: { from: 'node-1', to: 'node-2' }, dryRun: false });
        const c = await storage.appendAudit({ at: at(5), actor: 'ops', action: 'cordon-node', target: 'node/node-1', dryRun: false });
        expect(b.at).toBe(at(7)); // from the injected clock
        expect(c.details).toEqual({});
        expect(Number(b.id)).toBeGreaterThan(Number(a.id));

        const all = await storage.listAudit({ from: at(0), to: at(10) });
        expect(all.map((r) => r.id)).toEqual([a.id, c.id, b.id]); // time, then append order
        expect(all[0]).toEqual(a);
        expect((await storage.listAudit({ from: at(6), to: at(7) })).map((r) => r.id)).toEqual([b.id]);
        expect((await storage.listAudit({ from: at(0), to: at(10) }, { limit: 1 })).map((r) => r.id)).toEqual([a.id]);
        expect(await storage.listAudit({ from: at(8), to: at(9) })).toEqual([]);
      });

      it('is append-only even for raw SQL: update, delete and truncate are refused', async () => {
        const at = iso(50 * 24 * 60);
        const rec = await storage.appendAudit({ at, actor: 'rebalancer', action: 'move-tenant', target: 'tenant/acme', dryRun: false });
        await expect(driver.query(`UPDATE tenantscope_audit_log SET dry_run = true WHERE seq = $1::bigint`, [rec.id])).rejects.toThrow(/append-only/);
        await expect(driver.query(`DELETE FROM tenantscope_audit_log WHERE seq = $1::bigint`, [rec.id])).rejects.toThrow(/append-only/);
        await expect(driver.exec('TRUNCATE tenantscope_audit_log')).rejects.toThrow(/append-only/);
        expect(await storage.listAudit({ from: at, to: at })).toEqual([rec]);
      });
    });

    describe('contract schema', () => {
      it('stored findings and bands form an analysis result that validates against analysis.schema.json', async () => {
        const ajv = new Ajv2020({ allErrors: true, strict: false });
        addFormats(ajv);
        const validate = ajv.compile(analysisSchema);
        const at = (m: number) => iso(60 * 24 * 60 + m);
        await storage.upsertFindings([
          finding('s-nn', { start: at(0), end: at(20) }),
          finding('s-platform', { kind: 'platform-degradation', start: at(5), suspect: null, resource: { kind: 'ingress', id: 'websecure' }, severity: 'critical' }),
          finding('s-self', { kind: 'tenant-degradation', start: at(6), suspect: undefined, victims: [{ tenant: 'acme' }], evidence: undefined, severity: 'info', confidence: 0 }),
        ]);
        await storage.recordBand({ tenant: 's-tenant', band: 'high', at: at(0), features: { transactionsPerSecond: 400, peakToMedian: 3.1 }, tier: 'shared', mismatch: true });
        const window = { from: at(0), to: at(30) };
        const findings = (await storage.listFindings(window)).filter((f) => f.id.startsWith('s-'));
        expect(findings.map((f) => f.id)).toEqual(['s-nn', 's-platform', 's-self']);
        const validateFinding = ajv.getSchema(`${String(analysisSchema.$id)}#/$defs/finding`);
        expect(validateFinding).toBeDefined();
        for (const f of findings) {
          expect(validateFinding!(f), `${f.id}: ${ajv.errorsText(validateFinding!.errors)}`).toBe(true);
        }
        const result: AnalysisResult = { generatedAt: new Date(clock.now()).toISOString(), window, findings, bands: await storage.currentBands() };
        const roundTripped = JSON.parse(JSON.stringify(result)) as unknown;
        expect(validate(roundTripped), ajv.errorsText(validate.errors)).toBe(true);
        // the validator is not vacuous: a stored finding with a broken field fails it
        const broken = { ...result, findings: [{ ...findings[0]!, severity: 'apocalyptic', start: 'yesterday' }] };
        expect(validate(broken)).toBe(false);
        expect(ajv.errorsText(validate.errors)).toMatch(/severity|date-time/);
      });
    });

    describe('errors and lifecycle', () => {
      it('a bad URL fails with a StorageError naming the redacted URL and the remedy', async () => {
        const url = `postgres://tenantscope:s3cret-pw@127.0.0.1:${await freePort()}/tenantscope`;
        const err = await storageError(createStorage({ url, dataDir: '/nonexistent' }, deps));
        expect(err.code).toBe('TS_STORAGE_FAILED');
        expect(err.message).toContain(`127.0.0.1:${new URL(url).port}`);
        expect(err.message).toContain('tenantscope:***@');
        expect(err.message).not.toContain('s3cret-pw');
        expect(err.message).toMatch(/ECONNREFUSED/);
        expect(err.message).toMatch(/is PostgreSQL running/);

        const notPg = await storageError(createStorage({ url: 'mysql://root:hunter2@db/x', dataDir: '/nonexistent' }, deps));
        expect(notPg.message).not.toContain('hunter2');
        expect(notPg.message).toMatch(/not a postgres:\/\/ URL — set storage\.url/);
      });

      it('keeps data across close and reopen, without migrating again', async () => {
        const at = iso(70 * 24 * 60);
        await storage.upsertFindings([finding('keep-f', { start: at })]);
        await storage.recordBand({ tenant: 'keep-t', band: 'medium', at });
        const report = await storage.saveReport({ kind: 'rightsizing', period: { from: at, to: at }, body: { kept: true } });
        const audit = await storage.appendAudit({ at, actor: 'rebalancer', action: 'noop', target: 'tenant/keep-t', dryRun: true });
        const applied = logger.lines.filter((l) => l.includes('storage migration applied')).length;

        await reopen();
        expect(logger.lines.filter((l) => l.includes('storage migration applied')).length).toBe(applied);
        expect(await storage.getFinding('keep-f')).toMatchObject({ id: 'keep-f', start: at, end: null });
        expect(await storage.bandHistory('keep-t')).toEqual([{ tenant: 'keep-t', band: 'medium', previous: null, since: at }]);
        expect(await storage.getReport(report.id)).toEqual(report);
        expect(await storage.listAudit({ from: at, to: at })).toEqual([audit]);
        // and the reopened store still changes bands from where it was
        expect((await storage.recordBand({ tenant: 'keep-t', band: 'high', at: iso(70 * 24 * 60 + 1) })).band.previous).toBe('medium');
      }, OPEN_TIMEOUT_MS);

      it('a closed storage refuses calls with a StorageError, and close is idempotent', async () => {
        await storage.close();
        await storage.close();
        const err = await storageError(storage.listOpenFindings());
        expect(err.message).toContain(storage.where);
        expect(err.message).toMatch(/closed — open a new one/);
        await reopen();
        expect(await storage.getFinding('keep-f')).not.toBeNull();
      }, OPEN_TIMEOUT_MS);
    });
  });
}
