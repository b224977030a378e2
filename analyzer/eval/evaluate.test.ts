import { describe, expect, it } from 'vitest';
import { ANTAGONIST_SCENARIOS, BENIGN_SCENARIOS } from '../../collector/simulated/index.js';
import { evaluate } from './evaluate.js';
import { buildSuite } from './suite.js';
import { toMarkdown } from './run.js';

describe('labelled suite', () => {
  it('is seeded, covers every scenario, and holds the required counts by default', () => {
    const a = buildSuite({ seed: 3, tenants: 30 });
    const b = buildSuite({ seed: 3, tenants: 30 });
    expect(a).toEqual(b);
    const antagonists = a.filter((c) => c.episode.label === 'antagonist');
    expect(antagonists.length).toBeGreaterThanOrEqual(200);
    expect(antagonists.filter((c) => c.episode.tenants.length === 2).length).toBeGreaterThanOrEqual(20);
    expect(a.filter((c) => c.episode.label === 'benign').length).toBeGreaterThanOrEqual(100);
    expect(new Set(a.map((c) => c.episode.scenario))).toEqual(new Set([...ANTAGONIST_SCENARIOS, ...BENIGN_SCENARIOS]));
    // node antagonists really share the node they are charged with
    for (const c of antagonists.filter((x) => x.episode.resource.kind === 'node')) expect(c.episode.resource.id).toMatch(/^node-shared-/);
  });
});

describe('evaluation', () => {
  it('scores tenantscope against the CPI2-style and highest-usage baselines on the same cases', async () => {
    const seen: number[] = [];
    const r = await evaluate({ seed: 2, tenants: 20, antagonists: 18, doubles: 3, benign: 12, progress: (d) => seen.push(d) });
    expect(seen.at(-1)).toBe(30);
    const [ts, cpi2, usage] = r.scores;
    expect(ts!.method).toBe('tenantscope');
    expect(ts!.antagonistCases + ts!.harmlessCases).toBe(18);
    expect(ts!.ac1).toBeGreaterThan(cpi2!.ac1);
    expect(ts!.ac1).toBeGreaterThanOrEqual(0.8);
    expect(ts!.benignAlertedShare).toBeLessThan(Math.min(cpi2!.benignAlertedShare, usage!.benignAlertedShare));
    expect(ts!.selfInflictedBlamedShare).toBe(0);
    expect(ts!.ttdP50Seconds).toBeLessThanOrEqual(45);
    // tenantscope fires when harm starts (within a 15 s step of it, from the episode start too), not on load alone
    expect(ts!.ttdFromHarmP95Seconds).toBeLessThanOrEqual(15);
    expect(ts!.ttdP95Seconds).toBeLessThanOrEqual(r.harmOnset.p95Seconds + 15);
    expect(ts!.beforeHarmShare).toBeLessThan(cpi2!.beforeHarmShare);
    expect(r.bandMacroF1).toBeGreaterThan(0.8);
    expect(r.quietDay.alerts).toBe(0);
    expect(toMarkdown(r, { seed: 2, tenants: 20 })).toMatch(/\| AC@1 \(true antagonist ranked first\) \| [01]\.\d{3} \|/);
    // a few seconds of pure computation (a simulated fleet per case): the default 5 s is too tight on a loaded machine
  }, 30_000);
});
