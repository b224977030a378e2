import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../config/index.js';
import { createTenantResolver } from '../../tenancy/index.js';
import { parseExposition } from '../exposition/index.js';
import { TraefikScrapeReader, codeClass } from './scrape.js';
import { traefikTestResolver } from './test-helpers.js';

const resolver = traefikTestResolver();
const resolve = resolver.traefik.bind(resolver);

/** a v2-shaped service exposition: per service, code → [requests, durationSum, bucket counts at 0.1/0.3/1.2/5/+Inf] */
function v2(services: Record<string, Record<string, number>>, startTime = 1715200728.9, open: Record<string, number> = {}): string {
  const lines = ['# TYPE process_start_time_seconds gauge', `process_start_time_seconds ${startTime}`, '# TYPE traefik_service_requests_total counter'];
  for (const [svc, codes] of Object.entries(services))
    for (const [code, n] of Object.entries(codes)) lines.push(`traefik_service_requests_total{code="${code}",method="GET",protocol="http",service="${svc}"} ${n}`);
  lines.push('# TYPE traefik_service_request_duration_seconds histogram');
  for (const [svc, codes] of Object.entries(services))
    for (const [code, n] of Object.entries(codes)) {
      const l = `code="${code}",method="GET",protocol="http",service="${svc}"`;
      // half the requests under 0.1 s, all under 0.3 s; 0.05 s average
      for (const [le, c] of [['0.1', Math.floor(n / 2)], ['0.3', n], ['1.2', n], ['5', n], ['+Inf', n]] as const) lines.push(`traefik_service_request_duration_seconds_bucket{${l},le="${le}"} ${c}`);
      lines.push(`traefik_service_request_duration_seconds_sum{${l}} ${n * 0.05}`, `traefik_service_request_duration_seconds_count{${l}} ${n}`);
    }
  lines.push('# TYPE traefik_service_open_connections gauge');
  for (const [svc, n] of Object.entries(open)) lines.push(`traefik_service_open_connections{method="GET",protocol="http",service="${svc}"} ${n}`);
  return lines.join('\n');
}

const read = (r: TraefikScrapeReader, text: string) => r.read(parseExposition(text).families, resolve);

describe('TraefikScrapeReader', () => {
  it('reads the recorded v2 exposition: readiness@http is no tenant, and the first scrape is only a baseline', () => {
    const r = new TraefikScrapeReader();
    const reading = read(r, readFileSync(new URL('../../test/fixtures/traefik/traefik-v2-proxy.metrics.txt', import.meta.url), 'utf8'));
    expect(reading.level).toBe('service');
    expect([...reading.tenants.keys()]).toEqual(['_unattributed']);
    const t = reading.tenants.get('_unattributed')!;
    expect(t.requests.get('2xx')).toBe(0);
    expect(t.openConnections).toBe(0);
    expect([...t.duration!.buckets.keys()]).toEqual([0.1, 0.3, 1.2, 5, Infinity]);
  });

  it('turns counters into per-tenant increments by status class, never mixing tenants', () => {
    const r = new TraefikScrapeReader();
    const acme = 'tenant-acme-odoo-8069@kubernetes';
    const globex = 'tenant-globex-odoo-8069@kubernetescrd';
    read(r, v2({ [acme]: { '200': 100, '401': 5 }, [globex]: { '200': 1000, '502': 10 } }));
    const second = read(r, v2({ [acme]: { '200': 130, '401': 9, '403': 2 }, [globex]: { '200': 1500, '502': 10 } }, 1715200728.9, { [acme]: 3, [globex]: 7 }));
    const a = second.tenants.get('acme')!;
    const g = second.tenants.get('globex')!;
    expect(Object.fromEntries(a.requests)).toEqual({ '2xx': 30, '4xx': 6 });
    expect(a.authFailures).toBe(6); // 4 more 401 and 2 new 403 (a series born between scrapes counts from zero)
    expect(Object.fromEntries(g.requests)).toEqual({ '2xx': 500, '5xx': 0 });
    expect(g.authFailures).toBe(0);
    expect(a.openConnections).toBe(3);
    expect(g.openConnections).toBe(7);
    expect(a.duration?.count).toBe(36);
    expect(g.duration?.count).toBe(500);
    expect(g.duration?.sum).toBeCloseTo(25);
    expect(g.duration?.buckets.get(0.1)).toBe(250);
  });

  it('survives a counter reset of one series without losing the others', () => {
    const r = new TraefikScrapeReader();
    const acme = 'tenant-acme-odoo-8069@kubernetes';
    const acme2 = 'tenant-acme-odoo-8070@kubernetes';
    read(r, v2({ [acme]: { '200': 100 }, [acme2]: { '200': 50 } }));
    // acme's first service restarted (from 100 to 7), the second grew by 20: 27, not a negative or 0
    const reading = read(r, v2({ [acme]: { '200': 7 }, [acme2]: { '200': 70 } }));
    expect(reading.tenants.get('acme')?.requests.get('2xx')).toBe(27);
  });

  it('counts everything since the restart when Traefik restarted, even past the old value', () => {
    const r = new TraefikScrapeReader();
    const acme = 'tenant-acme-odoo-8069@kubernetes';
    read(r, v2({ [acme]: { '200': 100 } }, 1000));
    const reading = read(r, v2({ [acme]: { '200': 150 } }, 2000));
    expect(reading.restarted).toBe(true);
    expect(reading.tenants.get('acme')?.requests.get('2xx')).toBe(150);
    const next = read(r, v2({ [acme]: { '200': 160 } }, 2000));
    expect(next.restarted).toBe(false);
    expect(next.tenants.get('acme')?.requests.get('2xx')).toBe(10);
  });

  it('reads router metrics (v3 names, router + service labels) when there are no service metrics, and bytes', () => {
    const r = new TraefikScrapeReader();
    const text = (n: number) =>
      [
        '# TYPE traefik_router_requests_total counter',
        `traefik_router_requests_total{code="200",method="GET",protocol="http",router="acme-https@kubernetescrd",service="x@kubernetescrd"} ${n}`,
        `traefik_router_requests_total{code="200",method="GET",protocol="http",router="websecure-tenant-globex-odoo@kubernetes",service="tenant-globex-odoo-8069@kubernetes"} ${2 * n}`,
        '# TYPE traefik_router_requests_bytes_total counter',
        `traefik_router_requests_bytes_total{code="200",method="GET",protocol="http",router="acme-https@kubernetescrd",service="x@kubernetescrd"} ${n * 10}`,
        '# TYPE traefik_router_responses_bytes_total counter',
        `traefik_router_responses_bytes_total{code="200",method="GET",protocol="http",router="acme-https@kubernetescrd",service="x@kubernetescrd"} ${n * 100}`,
      ].join('\n');
    read(r, text(10));
    const reading = read(r, text(25));
    expect(reading.level).toBe('router');
    expect(reading.tenants.get('acme')).toMatchObject({ requestBytes: 150, responseBytes: 1500 });
    expect(reading.tenants.get('acme')?.requests.get('2xx')).toBe(15);
    expect(reading.tenants.get('globex')?.requests.get('2xx')).toBe(30);
  });

  it('attributes `ns-name-port@kubernetes` and `ns-name@kubernetescrd` services through the namespace rule alone', () => {
    const nsOnly = createTenantResolver(configSchema.parse({ tenancy: { rules: { namespace: { name: '^tenant-(?<tenant>[a-z0-9-]+)$' } } } }).tenancy);
    nsOnly.learnNamespaces([{ name: 'tenant-acme' }, { name: 'tenant-acme-staging' }]);
    const r = new TraefikScrapeReader();
    const text = (n: number) =>
      v2({ 'tenant-acme-web-8069@kubernetes': { '200': n }, 'tenant-acme-staging-web-ab12cd@kubernetescrd': { '200': 2 * n }, 'kube-system-dashboard-443@kubernetes': { '200': 1 } });
    r.read(parseExposition(text(1)).families, nsOnly.traefik.bind(nsOnly));
    const reading = r.read(parseExposition(text(5)).families, nsOnly.traefik.bind(nsOnly));
    // the longest known namespace wins: tenant-acme-staging-… is not acme's
    expect(Object.fromEntries([...reading.tenants].map(([t, x]) => [t, x.requests.get('2xx')]))).toEqual({ acme: 4, 'acme-staging': 8, _unattributed: 0 });
  });

  it('maps status codes to bounded classes', () => {
    expect([200, 301, 404, 503, 101, 0, 999].map(codeClass)).toEqual(['2xx', '3xx', '4xx', '5xx', '1xx', 'other', 'other']);
  });

  it('finds a series again whatever the order of its labels, and counts a series that left and came back from zero', () => {
    const r = new TraefikScrapeReader();
    const line = (labels: string, n: number) => `# TYPE traefik_service_requests_total counter\ntraefik_service_requests_total{${labels}} ${n}`;
    const sorted = 'code="200",method="GET",protocol="http",service="tenant-acme-odoo-8069@kubernetes"';
    const shuffled = 'service="tenant-acme-odoo-8069@kubernetes",protocol="http",code="200",method="GET"';
    read(r, line(sorted, 100));
    expect(read(r, line(shuffled, 130)).tenants.get('acme')!.requests.get('2xx')).toBe(30);
    // gone from one scrape: when it returns, its whole value is new requests
    read(r, '# TYPE traefik_service_requests_total counter\ntraefik_service_requests_total{code="200",method="GET",protocol="http",service="tenant-globex-odoo-8069@kubernetes"} 5');
    expect(read(r, line(sorted, 140)).tenants.get('acme')!.requests.get('2xx')).toBe(140);
  });
});

