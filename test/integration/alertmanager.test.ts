import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { ManualClock } from '../../lib/clock.js';
import { createMemoryLogger } from '../../lib/log.js';
import { createAlertmanagerNotifier, type AlertableFinding } from '../../alerts/index.js';
import { startAlertmanager } from '../support/stack.js';

interface GettableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  status: { state: string };
  endsAt: string;
}

async function alerts(url: string, finding: string): Promise<GettableAlert[]> {
  const res = await fetch(`${url}/api/v2/alerts?filter=${encodeURIComponent(`finding_id="${finding}"`)}`);
  return (await res.json()) as GettableAlert[];
}

const t0 = Date.parse('2026-11-22T17:02:00Z');
function finding(id: string, over: Partial<AlertableFinding> = {}): AlertableFinding {
  return {
    id,
    kind: 'noisy-neighbor',
    resource: { kind: 'postgres', id: 'pg-main', mechanism: 'io' },
    start: new Date(t0).toISOString(),
    end: null,
    suspect: { tenant: 'acme', share: 0.71 },
    victims: [{ tenant: 'globex' }, { tenant: 'initech' }],
    confidence: 0.93,
    severity: 'critical',
    ...over,
  };
}

describe('Alertmanager delivery (real Alertmanager)', () => {
  it('posts a finding with scope/tenant/component/severity labels and resolves it when the episode ends', async () => {
    const url = inject('alertmanagerUrl');
    // Alertmanager compares endsAt with its own clock: drive ours from real time
    const clock = new ManualClock(Date.now());
    const n = createAlertmanagerNotifier({ url }, { clock, logger: createMemoryLogger() });
    const f = finding(`nn-${Date.now()}`, { start: new Date(clock.now() - 60_000).toISOString() });
    expect(await n.sync([f])).toMatchObject({ posted: 1, pending: 0 });
    const [a] = await alerts(url, f.id);
    expect(a?.status.state).toBe('active');
    expect(a?.labels).toMatchObject({ alertname: 'TenantscopeNoisyNeighbor', scope: 'tenant', tenant: 'acme', component: 'postgres/pg-main', severity: 'critical' });
    expect(a?.annotations.summary).toBe('acme degrades globex, initech on postgres pg-main through io');

    await n.sync([{ ...f, end: new Date(clock.now() - 1000).toISOString() }]);
    const [resolved] = await alerts(url, f.id);
    // a resolved alert is no longer active (it is gone or has an endsAt in the past)
    expect(resolved === undefined || Date.parse(resolved.endsAt) <= Date.now()).toBe(true);
  });

  it('a finding whose severity escalates leaves no alert behind: the old label set is resolved at once, the new one when the episode ends', async () => {
    const url = inject('alertmanagerUrl');
    const clock = new ManualClock(Date.now());
    const n = createAlertmanagerNotifier({ url }, { clock, logger: createMemoryLogger() });
    const f = finding(`esc-${Date.now()}`, { start: new Date(clock.now() - 60_000).toISOString(), severity: 'warning' });
    const active = async () => (await alerts(url, f.id)).filter((a) => a.status.state === 'active' && Date.parse(a.endsAt) > Date.now()).map((a) => a.labels.severity);
    await n.sync([f]);
    expect(await active()).toEqual(['warning']);
    // two more victims: critical (Alertmanager keys alerts by labels, so this is another alert)
    clock.set(Date.now());
    await n.sync([{ ...f, severity: 'critical', victims: [...f.victims, { tenant: 'umbrella' }, { tenant: 'stark' }, { tenant: 'hooli' }] }]);
    expect(await active()).toEqual(['critical']);
    clock.set(Date.now());
    await n.sync([{ ...f, severity: 'critical', end: new Date(clock.now() - 1000).toISOString() }]);
    expect(await active()).toEqual([]);
  });

  it('queues while Alertmanager is down and delivers firing and resolved alerts after it returns', async () => {
    const am = await startAlertmanager();
    try {
      const clock = new ManualClock(Date.now());
      const logger = createMemoryLogger();
      const n = createAlertmanagerNotifier({ url: am.url, timeoutMs: 2000 }, { clock, logger });
      const open = finding(`open-${Date.now()}`, { kind: 'platform-degradation', suspect: null, start: new Date(clock.now() - 60_000).toISOString() });
      const ended = finding(`ended-${Date.now()}`, { start: new Date(clock.now() - 120_000).toISOString() });
      await n.sync([open, ended]);
      await am.stop();
      const down = await n.sync([open, { ...ended, end: new Date(clock.now() - 1000).toISOString() }]);
      expect(down.posted).toBe(0);
      expect(down.error).toMatch(/alertmanager http:\/\/127\.0\.0\.1:\d+: POST \/api\/v2\/alerts: .* — is Alertmanager running\? \(alertmanager\.url\)/);
      expect(n.pendingResolutions).toBe(1);
      await am.restart(); // same data dir: the earlier alerts are still there
      const up = await n.sync([open]);
      expect(up).toMatchObject({ posted: 2, pending: 0 });
      expect(n.pendingResolutions).toBe(0);
      const [o] = await alerts(am.url, open.id);
      expect(o?.labels).toMatchObject({ scope: 'platform', alertname: 'TenantscopePlatformDegradation' });
      expect(o?.status.state).toBe('active');
    } finally {
      await am.destroy();
    }
  });
});
