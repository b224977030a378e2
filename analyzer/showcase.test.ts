/**
 * The embedded default end to end, in-process and on a ManualClock: simulated fleet → registry →
 * embedded signal store → analyzer.tick(). What `npm start` does, minus the HTTP server: it must
 * name the first noisy neighbour within two minutes of start.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createSimulatedFleet } from '../collector/simulated/index.js';
import { ManualClock } from '../lib/clock.js';
import { createMemoryLogger } from '../lib/log.js';
import { createTenantResolver } from '../tenancy/index.js';
import { createAnalyzer } from './analyzer.js';
import { backfill, createEmbeddedSignals, createSimulatedSignalSource } from './signals/index.js';

const T0 = Date.UTC(2026, 2, 11, 9, 30);

describe('showcase: simulated fleet through the embedded store', () => {
  it('names the first noisy neighbour within two minutes, and the store survives a restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ts-showcase-'));
    try {
      const clock = new ManualClock(T0);
      const registry = new Registry();
      const logger = createMemoryLogger();
      const resolver = createTenantResolver({ tenants: [], discover: true, rules: {} } as never);
      const fleet = createSimulatedFleet({ tenants: 30, seed: 5 }, { registry, resolver, clock, logger });
      const signals = createEmbeddedSignals({ retentionHours: 24, dataDir: dir }, { registry, clock, logger });
      // an hour of history from the same physics, so baselines exist before the first episode
      const written = await backfill(signals.store, createSimulatedSignalSource(fleet.model), T0 - 3_600_000, T0 - 15_000, 15_000);
      expect(written).toBeGreaterThan(10_000);
      const analyzer = createAnalyzer({}, { signals: signals.source, clock, logger, resolver });
      const first = fleet.episodes(T0, T0 + 120_000)[0]!;
      expect(first.label).toBe('antagonist');
      let named: { atMs: number; suspect: string; victims: number } | undefined;
      for (let t = T0; t <= T0 + 120_000 && !named; t += 15_000) {
        clock.set(t);
        await fleet.collect();
        await signals.sampleOnce();
        const r = await analyzer.tick();
        const nn = r.findings.find((f) => f.kind === 'noisy-neighbor');
        if (nn) named = { atMs: t, suspect: nn.suspect!.tenant, victims: nn.victims.length };
        // nothing but the injected episode is blamed
        for (const f of r.findings) if (f.kind === 'noisy-neighbor') expect(first.tenants).toContain(f.suspect!.tenant);
      }
      expect(named, 'no noisy neighbour named within 2 minutes').toBeDefined();
      expect(first.tenants).toContain(named!.suspect);
      expect(named!.victims).toBeGreaterThan(3);
      expect(named!.atMs - T0).toBeLessThanOrEqual(120_000);
      await signals.stop();
      const again = createEmbeddedSignals({ retentionHours: 24, dataDir: dir }, { registry: new Registry(), clock, logger });
      await again.start();
      await again.stop();
      expect(again.store.stats().series).toBe(signals.store.stats().series);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
