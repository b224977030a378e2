import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { metricFamilies } from '../collector/catalog.js';
import { createCardinalityGuard } from '../collector/cardinality.js';
import { createMemoryLogger } from '../lib/log.js';
import { alertingRules, recordingRules, referencedFamilies, renderRules } from './rules.js';

describe('generated alert rules', () => {
  it('the committed copy is up to date (run `tenantscope alerts --out alerts/generated/tenantscope.rules.yaml`)', () => {
    expect(readFileSync(join(import.meta.dirname, 'generated', 'tenantscope.rules.yaml'), 'utf8')).toBe(renderRules());
  });

  it('read only families that exist', async () => {
    const registry = new Registry();
    metricFamilies(registry);
    createCardinalityGuard(registry, { maxSeriesPerTenant: 1 }, createMemoryLogger());
    const known = new Set(((await registry.getMetricsAsJSON()) as { name: string }[]).map((m) => m.name));
    const exprs = [recordingRules(), ...alertingRules()].flatMap((g) => g.rules.map((r) => r.expr));
    const used = new Set(exprs.flatMap(referencedFamilies));
    expect(used.size).toBeGreaterThan(8);
    for (const name of used) expect(known.has(name), `${name} is not exported by any collector`).toBe(true);
  });

  it('every alert carries severity, scope and component, like posted findings', () => {
    for (const g of alertingRules())
      for (const r of g.rules) {
        expect(r.labels?.severity, r.alert).toMatch(/^(info|warning|critical)$/);
        expect(r.labels?.scope, r.alert).toMatch(/^(platform|tenant)$/);
        expect(r.labels?.component, r.alert).toBeTruthy();
        expect(r.annotations?.summary, r.alert).toBeTruthy();
      }
  });
});
