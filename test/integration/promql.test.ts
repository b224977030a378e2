/**
 * Every PromQL expression we ship (dashboard panels, recording and alerting rules) is parsed and
 * evaluated by a real Prometheus: a typo fails here, not in a user's Grafana.
 */
import { describe, expect, it, inject } from 'vitest';
import { allDashboards } from '../../dashboards/index.js';
import { alertingRules, recordingRules } from '../../alerts/index.js';

function shipped(): string[] {
  const out: string[] = [];
  for (const d of Object.values(allDashboards()))
    for (const p of d.panels ?? []) for (const t of (p as { targets?: { expr?: string }[] }).targets ?? []) if (t.expr) out.push(t.expr);
  for (const g of [recordingRules(), ...alertingRules()]) for (const r of g.rules) out.push(r.expr);
  return out;
}

describe('shipped PromQL', () => {
  it('parses and evaluates on a real Prometheus', async () => {
    const url = inject('prometheusUrl');
    const exprs = shipped();
    expect(exprs.length).toBeGreaterThan(30);
    for (const raw of exprs) {
      // Grafana's macros and variables, as Grafana would substitute them
      const expr = raw.replaceAll('$__rate_interval', '5m').replaceAll('$tenant', '.*');
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await res.json()) as { status: string; error?: string };
      expect(body.status, `${expr}\n→ ${body.error ?? ''}`).toBe('success');
    }
  });
});
