import { describe, expect, it } from 'vitest';
import { Counter, Registry } from 'prom-client';
import { createMemoryLogger } from '../lib/log.js';
import { StorageError } from '../lib/errors.js';
import { createApp, parseWindow } from './index.js';

function app(over: Partial<Parameters<typeof createApp>[0]> = {}) {
  const registry = new Registry();
  new Counter({ name: 'tenantscope_demo_total', help: 'demo', registers: [registry] }).inc(3);
  return createApp({ registry, logger: createMemoryLogger(), now: () => Date.parse('2026-11-22T12:00:00Z'), ...over });
}

describe('HTTP app', () => {
  it('/healthz says what the process runs on', async () => {
    const res = await app({ mode: 'simulated fleet (36 tenants, seed 42)' }).request('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', mode: 'simulated fleet (36 tenants, seed 42)' });
  });

  it('/metrics serves the registry and the OTel text on one endpoint', async () => {
    const res = await app({ extraMetrics: async () => '# HELP tenantscope_cycles_total x\ntenantscope_cycles_total 1\n' }).request('/metrics');
    expect(res.headers.get('content-type')).toContain('text/plain');
    const body = await res.text();
    expect(body).toContain('tenantscope_demo_total 3');
    expect(body).toContain('tenantscope_cycles_total 1');
  });

  it('/readyz is 503 while a component is down, naming it', async () => {
    const res = await app({ components: () => [{ name: 'pg-main', ok: false, detail: 'ECONNREFUSED' }, { name: 'edge', ok: true }] }).request('/readyz');
    expect(res.status).toBe(503);
    expect(((await res.json()) as { components: { name: string }[] }).components[0]!.name).toBe('pg-main');
  });

  it('/api/v1/analysis passes the window and rejects bad parameters with the value and remedy', async () => {
    const seen: unknown[] = [];
    const a = app({ analysis: async (w) => (seen.push(w), { window: w, findings: [], bands: [] }) });
    expect((await a.request('/api/v1/analysis')).status).toBe(200);
    expect(seen[0]).toBeUndefined();
    expect((await a.request('/api/v1/analysis?from=2026-11-22T10:00:00Z&to=2026-11-22T11:00:00Z')).status).toBe(200);
    expect(seen[1]).toEqual({ from: new Date('2026-11-22T10:00:00Z'), to: new Date('2026-11-22T11:00:00Z') });
    const bad = await a.request('/api/v1/analysis?from=yesterday');
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('TS_REQUEST_INVALID');
    expect(body.error.message).toContain('from="yesterday" is not a time — use RFC 3339');
    expect((await a.request('/api/v1/analysis?from=2026-11-22T12:00:00Z&to=2026-11-22T11:00:00Z')).status).toBe(400);
  });

  it('typed errors map to their HTTP status; unknown ones do not leak internals', async () => {
    const failing = app({
      analysis: async () => {
        throw new StorageError('storage postgres://ts:***@db/ts: connect ECONNREFUSED — is the server running?');
      },
    });
    const res = await failing.request('/api/v1/analysis');
    expect(res.status).toBe(503);
    const boom = app({
      analysis: async () => {
        throw new Error('secret internals');
      },
    });
    const r2 = await boom.request('/api/v1/analysis');
    expect(r2.status).toBe(500);
    expect(await r2.text()).not.toContain('secret internals');
    expect((await boom.request('/nope')).status).toBe(404);
  });

  it('parseWindow accepts Unix seconds and defaults to the last hour before `to`', () => {
    const w = parseWindow(undefined, '1700000000', 0)!;
    expect(w.to.toISOString()).toBe('2023-11-14T22:13:20.000Z');
    expect(w.to.getTime() - w.from.getTime()).toBe(3600_000);
    expect(() => parseWindow('0', '4000000000', 0)).toThrow(/31-day limit/);
  });
});
