/**
 * The Traefik collector against the Traefik stand-in (recorded v2 exposition, counters advancing
 * by known amounts per scrape) and a real access-log file written the way Traefik writes it.
 * Every count is exact: the stand-in adds a fixed increment per scrape, and the log lines are ours.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTraefikCollector } from '../../collector/traefik/index.js';
import { parseExposition, type Sample } from '../../collector/exposition/index.js';
import type { Collector } from '../../collector/types.js';
import { configSchema, type ConfigInput } from '../../config/index.js';
import { ManualClock } from '../../lib/clock.js';
import { SourceError } from '../../lib/errors.js';
import { createMemoryLogger } from '../../lib/log.js';
import { createTenantResolver } from '../../tenancy/index.js';
import { AccessLogWriter, startTraefikStandin, type AccessLogEntry, type StandinService, type TraefikStandin } from '../standins/traefik.js';

const SERVICES: StandinService[] = [
  { service: 'tenant-acme-odoo-8069@kubernetes', perScrape: { '200': 10, '401': 2, '500': 1 }, latencySeconds: 0.05, openConnections: 3, requestBytes: 100, responseBytes: 2000 },
  { service: 'tenant-globex-odoo-8069@kubernetescrd', perScrape: { '200': 100, '502': 5 }, latencySeconds: 0.8, openConnections: 11 },
  { service: 'readiness@http', perScrape: { '200': 1 }, latencySeconds: 0.001 },
];

const TENANCY: ConfigInput['tenancy'] = {
  // hooli is declared but has no route yet: its unmatched requests are still its own
  tenants: [{ id: 'hooli' }],
  rules: {
    namespace: { name: '^tenant-(?<tenant>[a-z0-9]+)$' },
    traefik: [{ service: '^tenant-(?<tenant>[a-z0-9]+)-odoo' }, { host: '^(?<tenant>[a-z0-9]+)\\.erp\\.example\\.com$' }],
  },
};

let standin: TraefikStandin;
let dir: string;
const collectors: Collector[] = [];
const writers: AccessLogWriter[] = [];

beforeEach(async () => {
  standin = await startTraefikStandin(SERVICES);
  dir = mkdtempSync(join(tmpdir(), 'traefik-it-'));
});
afterEach(async () => {
  await Promise.all(collectors.splice(0).map((c) => c.stop()));
  for (const w of writers.splice(0)) w.close();
  await standin.stop();
  rmSync(dir, { recursive: true, force: true });
});

function setup(source: { metricsUrl?: string; accessLog?: string; options?: Record<string, unknown> }) {
  const cfg = configSchema.parse({ tenancy: TENANCY, sources: { traefik: [{ name: 'edge', ...source }] } });
  const registry = new Registry();
  const logger = createMemoryLogger();
  const clock = new ManualClock(Date.UTC(2026, 10, 22, 12));
  const collector = createTraefikCollector(cfg.sources.traefik[0]!, { registry, resolver: createTenantResolver(cfg.tenancy), clock, logger });
  collectors.push(collector);
  /** what a Prometheus scrape of tenantscope's /metrics would see, read back with our own parser */
  const scrape = async () => {
    const parsed = parseExposition(await registry.metrics());
    expect(parsed.errors).toEqual({});
    const all = (family: string, sample = family): Sample[] => (parsed.families.get(family)?.samples ?? []).filter((s) => s.name === sample);
    const value = (family: string, labels: Record<string, string>, sample = family): number | undefined => {
      const hits = all(family, sample).filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
      return hits.length ? hits.reduce((n, s) => n + s.value, 0) : undefined;
    };
    return { all, value };
  };
  return { collector, registry, logger, clock, scrape };
}

const REQ = 'tenantscope_ingress_requests_total';
const AUTH = 'tenantscope_ingress_auth_failures_total';
const FINE = 'tenantscope_ingress_request_duration_seconds';
const COARSE = 'tenantscope_ingress_traefik_request_duration_seconds';

describe('Traefik metrics scrape', () => {
  it('exports per-tenant rate, errors, auth failures, latency, bytes and open connections, each tenant only its own', async () => {
    const { collector, scrape } = setup({ metricsUrl: standin.url });
    await collector.collect(); // baseline: what Traefik counted before we watched is not counted
    await collector.collect();
    await collector.collect();
    const m = await scrape();
    const v = (name: string, labels: Record<string, string>, sample?: string) => m.value(name, { ingress: 'edge', ...labels }, sample);
    // two scrapes after the baseline = exactly 2 × perScrape
    expect(v(REQ, { tenant: 'acme', code_class: '2xx' })).toBe(20);
    expect(v(REQ, { tenant: 'acme', code_class: '4xx' })).toBe(4);
    expect(v(REQ, { tenant: 'acme', code_class: '5xx' })).toBe(2);
    expect(v(AUTH, { tenant: 'acme' })).toBe(4);
    expect(v(REQ, { tenant: 'globex', code_class: '2xx' })).toBe(200);
    expect(v(REQ, { tenant: 'globex', code_class: '5xx' })).toBe(10);
    expect(v(AUTH, { tenant: 'globex' })).toBe(0);
    expect(v(REQ, { tenant: '_unattributed', code_class: '2xx' })).toBe(2);
    // isolation: no tenant got anything it did not serve
    expect(v(REQ, { tenant: 'globex', code_class: '4xx' })).toBeUndefined();
    expect(v(REQ, { tenant: 'acme' })).toBe(26);
    expect(new Set(m.all(REQ).map((s) => s.labels.tenant))).toEqual(new Set(['acme', 'globex', '_unattributed']));
    // latency with Traefik's buckets: acme all ≤ 0.1 s, globex all in (0.3, 1.2]
    expect(v(COARSE, { tenant: 'acme', le: '0.1' }, COARSE + '_bucket')).toBe(26);
    expect(v(COARSE, { tenant: 'globex', le: '0.3' }, COARSE + '_bucket')).toBe(0);
    expect(v(COARSE, { tenant: 'globex', le: '1.2' }, COARSE + '_bucket')).toBe(210);
    expect(v(COARSE, { tenant: 'globex', le: '+Inf' }, COARSE + '_bucket')).toBe(210);
    expect(v(COARSE, { tenant: 'globex' }, COARSE + '_sum')).toBeCloseTo(168);
    // the fine histogram needs single observations: only the access log feeds it
    expect(m.all(FINE, FINE + '_count')).toEqual([]);
    expect(v('tenantscope_ingress_request_bytes_total', { tenant: 'acme' })).toBe(2600);
    expect(v('tenantscope_ingress_response_bytes_total', { tenant: 'acme' })).toBe(52000);
    expect(v('tenantscope_ingress_open_connections', { tenant: 'acme' })).toBe(3);
    expect(v('tenantscope_ingress_open_connections', { tenant: 'globex' })).toBe(11);
    expect(v('tenantscope_ingress_up', {})).toBe(1);
  });

  it('survives a Traefik restart: counts from zero again, nothing lost or negative', async () => {
    const { collector, scrape } = setup({ metricsUrl: standin.url });
    await collector.collect();
    await collector.collect();
    await standin.restart();
    await collector.collect(); // Traefik's counters are now 1 × perScrape, lower than before
    const m = await scrape();
    expect(m.value(REQ, { tenant: 'acme', code_class: '2xx' })).toBe(20);
    expect(m.value(REQ, { tenant: 'globex', code_class: '2xx' })).toBe(200);
    expect(m.value('tenantscope_ingress_traefik_restarts_total', { ingress: 'edge' })).toBe(1);
  });

  it('Traefik down → up 0 with a message naming the URL and the remedy → recovery without a gap', async () => {
    const { collector, scrape } = setup({ metricsUrl: standin.url });
    await collector.collect();
    await standin.stop();
    const err = await collector.collect().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SourceError);
    expect((err as SourceError).code).toBe('TS_SOURCE_UNREACHABLE');
    expect((err as Error).message).toContain(standin.url);
    expect((err as Error).message).toMatch(/ECONNREFUSED.*is Traefik running/);
    expect((await scrape()).value('tenantscope_ingress_up', { ingress: 'edge' })).toBe(0);
    await standin.resume();
    await collector.collect();
    const m = await scrape();
    expect(m.value('tenantscope_ingress_up', { ingress: 'edge' })).toBe(1);
    expect(m.value(REQ, { tenant: 'acme', code_class: '2xx' })).toBe(10);
  });

  it('a non-exposition answer is a payload error, and the next good scrape recovers', async () => {
    const { collector, scrape } = setup({ metricsUrl: standin.url });
    standin.fault({ status: 200, body: '<html>login</html>' });
    await expect(collector.collect()).rejects.toThrow(/returned no Prometheus samples.*metricsUrl/);
    standin.fault({ status: 503, body: 'busy' });
    await expect(collector.collect()).rejects.toThrow(/HTTP 503/);
    expect((await scrape()).value('tenantscope_ingress_malformed_total', { ingress: 'edge', input: 'metrics', reason: 'bad_metric_name' })).toBe(1);
    standin.fault(undefined);
    await collector.collect();
    expect((await scrape()).value('tenantscope_ingress_up', { ingress: 'edge' })).toBe(1);
  });

  it('a source down at start is reported and retried by the running loop', async () => {
    await standin.stop();
    const { collector, logger, scrape } = setup({ metricsUrl: standin.url, options: { scrapeIntervalMs: 20 } });
    await collector.start();
    await vi.waitFor(() => expect(logger.lines.some((l) => l.includes('scrape tick failed') && l.includes('ECONNREFUSED'))).toBe(true), { timeout: 10_000 });
    expect((await scrape()).value('tenantscope_ingress_up', { ingress: 'edge' })).toBe(0);
    await standin.resume();
    await vi.waitFor(async () => expect((await scrape()).value('tenantscope_ingress_up', { ingress: 'edge' })).toBe(1), { timeout: 10_000 });
    expect(logger.lines.some((l) => l.includes('reachable again'))).toBe(true);
  });
});

describe('Traefik access log', () => {
  const acme = (n: number, status = 200, durationMs = 30): AccessLogEntry[] =>
    Array.from({ length: n }, () => ({ status, durationMs, host: 'acme.erp.example.com', router: 'tenant-acme-odoo-4f2a1b@kubernetescrd', service: 'tenant-acme-odoo-8069@kubernetes' }));
  const globex = (n: number, status = 200, durationMs = 200): AccessLogEntry[] =>
    Array.from({ length: n }, (_, i) => ({
      status,
      durationMs,
      host: 'globex.erp.example.com',
      router: 'redirect-https@file -> tenant-globex-odoo-77c1@kubernetescrd',
      service: 'tenant-globex-odoo-8069@kubernetescrd',
      objectServiceUrl: i % 2 === 0,
    }));

  it('feeds per-tenant requests, auth failures and the fine latency histogram; the scrape does not double count', async () => {
    const file = join(dir, 'access.json');
    const w = new AccessLogWriter(file);
    writers.push(w);
    const { collector, scrape } = setup({ metricsUrl: standin.url, accessLog: file });
    await collector.collect(); // tail starts at the end of the existing file
    w.write([...acme(50), ...acme(7, 401), ...acme(3, 500, 1500), ...globex(20), ...globex(1, 403)]);
    w.write([
      { status: 404, durationMs: 0.2, host: 'hooli.erp.example.com' }, // declared tenant
      { status: 404, durationMs: 0.2, host: 'acme.erp.example.com', path: '/wp-login.php' }, // a tenant with routes
      { status: 404, durationMs: 0.1, host: 'scanner.invalid' },
      // a scanner's random subdomain matches the host rule but is no tenant: it must not mint one
      { status: 404, durationMs: 0.1, host: 'zz9plural.erp.example.com' },
    ]);
    w.writeRaw('DEBUG: CrowdsecBouncerTraefikPlugin: 2025/09/05 13:53:40 handleStreamCache:updated\n');
    w.writeRaw('{"DownstreamStatus":200,"RequestHost":"acme.erp.'); // half a line: waits
    await collector.collect();
    await collector.collect();
    const m = await scrape();
    const v = (name: string, labels: Record<string, string>, sample?: string) => m.value(name, { ingress: 'edge', ...labels }, sample);
    expect(v(REQ, { tenant: 'acme', code_class: '2xx' })).toBe(50); // not + the scrape's 2 × 10
    expect(v(REQ, { tenant: 'acme', code_class: '4xx' })).toBe(8);
    expect(v(REQ, { tenant: 'acme', code_class: '5xx' })).toBe(3);
    expect(v(AUTH, { tenant: 'acme' })).toBe(7);
    expect(v(REQ, { tenant: 'globex' })).toBe(21);
    expect(v(AUTH, { tenant: 'globex' })).toBe(1);
    expect(v(REQ, { tenant: 'hooli', code_class: '4xx' })).toBe(1);
    expect(v(REQ, { tenant: '_unattributed', code_class: '4xx' })).toBe(2);
    expect(m.all(REQ).some((s) => s.labels.tenant === 'zz9plural')).toBe(false);
    // isolation: every line counted once, for exactly one tenant
    expect(v(REQ, {})).toBe(85);
    expect(v(REQ, { tenant: '_unattributed', code_class: '2xx' })).toBeUndefined(); // readiness@http comes from the scrape only
    expect(v('tenantscope_ingress_malformed_total', { input: 'access_log', reason: 'not_json' })).toBe(1);
    expect(v('tenantscope_ingress_log_lines_total', {})).toBe(85);
    // fine buckets: acme 57 of 60 under 50 ms, p95 well below Traefik's first 100 ms bucket
    expect(v(FINE, { tenant: 'acme', le: '0.005' }, FINE + '_bucket')).toBe(1); // the 0.2 ms 404
    expect(v(FINE, { tenant: 'acme', le: '0.05' }, FINE + '_bucket')).toBe(58);
    expect(v(FINE, { tenant: 'acme', le: '1' }, FINE + '_bucket')).toBe(58);
    expect(v(FINE, { tenant: 'acme', le: '1.5' }, FINE + '_bucket')).toBe(61);
    expect(v(FINE, { tenant: 'globex', le: '0.15' }, FINE + '_bucket')).toBe(0);
    expect(v(FINE, { tenant: 'globex', le: '0.2' }, FINE + '_bucket')).toBe(21);
    expect(v(FINE, { tenant: 'acme' }, FINE + '_sum')).toBeCloseTo(57 * 0.03 + 3 * 1.5 + 0.0002);
    // the scrape still feeds what only it knows
    expect(v(COARSE, { tenant: 'acme' }, COARSE + '_count')).toBe(26);
    expect(v('tenantscope_ingress_open_connections', { tenant: 'globex' })).toBe(11);
    // the half line completes
    w.writeRaw('example.com","RouterName":"tenant-acme-odoo-4f2a1b@kubernetescrd","Duration":1000000}\n');
    await collector.collect();
    expect((await scrape()).value(REQ, { tenant: 'acme', code_class: '2xx' })).toBe(51);
  });

  it('loses and repeats no line across a rename rotation and a truncate rotation mid-test', async () => {
    const file = join(dir, 'access.json');
    const w = new AccessLogWriter(file);
    writers.push(w);
    const { collector, scrape } = setup({ accessLog: file, options: { logFromStart: true } });
    let written = 0;
    const write = (n: number) => {
      w.write([...acme(n - Math.floor(n / 3)), ...globex(Math.floor(n / 3))]);
      written += n;
    };
    write(30);
    await collector.collect();
    write(31); // not yet read when the file is renamed
    w.rotateByRename();
    write(32); // Traefik has not reopened: still the old file
    await collector.collect(); // no new file yet: keeps reading the old one
    write(33);
    w.reopen(); // USR1: Traefik now writes the new file
    write(34);
    await collector.collect(); // rest of the old file, then the new one from 0
    write(35);
    await collector.collect();
    w.rotateByTruncate();
    write(9); // shorter than what was read before: detectably truncated
    await collector.collect();
    write(36);
    await collector.collect();
    const m = await scrape();
    expect(written).toBe(240);
    expect(m.value('tenantscope_ingress_log_lines_total', { ingress: 'edge' })).toBe(written);
    expect(m.value(REQ, { ingress: 'edge' })).toBe(written);
    expect(m.value(REQ, { ingress: 'edge', tenant: 'globex' })).toBe([30, 31, 32, 33, 34, 35, 9, 36].reduce((n, x) => n + Math.floor(x / 3), 0));
    expect(m.value('tenantscope_ingress_log_rotations_total', { ingress: 'edge', kind: 'rename' })).toBe(1);
    expect(m.value('tenantscope_ingress_log_rotations_total', { ingress: 'edge', kind: 'truncate' })).toBe(1);
    expect(m.value('tenantscope_ingress_up', { ingress: 'edge' })).toBeUndefined(); // no metricsUrl: no up series
  });

  it('removes the log-fed series of a tenant idle longer than logTenantIdleMs (injected clock)', async () => {
    const file = join(dir, 'access.json');
    const w = new AccessLogWriter(file);
    writers.push(w);
    const { collector, scrape, clock } = setup({ accessLog: file, options: { logFromStart: true, logTenantIdleMs: 60_000 } });
    w.write([...acme(2), ...globex(2)]);
    await collector.collect();
    clock.advance(45_000);
    w.write(acme(1));
    await collector.collect();
    clock.advance(30_000); // globex idle 75 s, acme 30 s
    await collector.collect();
    const m = await scrape();
    expect(m.value(REQ, { tenant: 'acme' })).toBe(3);
    expect(m.value(REQ, { tenant: 'globex' })).toBeUndefined();
    expect(m.all(FINE, FINE + '_count').map((s) => s.labels.tenant)).toEqual(['acme']);
  });
});
