import { describe, expect, it } from 'vitest';
import type { Finding } from '../types.js';
import { buildRealCases } from './real.js';
import { f1, scoreMethod, truthVictims, verdictOfBaseline, verdictOfFindings, type CaseLabel, type ScoredCase } from './real-score.js';

const pgCase: CaseLabel = { label: 'antagonist', subject: 'hooli', resource: { kind: 'postgres', id: 'pg-eval' }, mechanism: 'cpu', selfInflicted: false };

describe('real-server evaluation: scoring', () => {
  it('a victim is clearly slower than its own quiet level on the client side, never the subject', () => {
    const t = truthVictims(
      {
        hooli: { before: 5, during: 80, buckets: [50, 80] }, // the antagonist itself
        acme: { before: 5, during: 12, buckets: [6, 6, 11, 12] }, // ≥ 1.5× and ≥ +2 ms from the third bucket
        globex: { before: 1, during: 1.9, buckets: [1.9] }, // 1.9× but only +0.9 ms: noise at this scale
        initech: { before: 20, during: 27, buckets: [27] }, // +7 ms but only 1.35×
        umbrella: { before: Number.NaN, during: 40, buckets: [40] }, // no quiet level known: cannot judge
      },
      'hooli',
      2000,
    );
    expect([...t.victims]).toEqual(['acme']);
    expect(t.harmOnsetMs).toBe(4000);
  });

  it('reads tenantscope findings on the case resource, ranked by confidence, and counts alerts anywhere', () => {
    const finding = (id: string, suspect: string, confidence: number, victims: string[], kind: Finding['resource']['kind'] = 'postgres'): Finding =>
      ({ id, kind: 'noisy-neighbor', resource: { kind, id: kind === 'postgres' ? 'pg-eval' : 'redis-eval', mechanism: 'cpu' }, start: '', end: null, suspect: { tenant: suspect }, victims: victims.map((tenant) => ({ tenant })), confidence, severity: 'warning', evidence: [] }) as unknown as Finding;
    const v = verdictOfFindings([finding('a', 'acme', 0.6, ['globex']), finding('b', 'hooli', 0.9, ['acme', 'globex']), finding('c', 'stark', 0.99, ['hooli'], 'redis')], new Map([['a', 10], ['b', 20]]), pgCase);
    expect(v.ranking).toEqual(['hooli', 'acme']);
    expect([...v.victims].sort()).toEqual(['acme', 'globex']);
    expect(v.detectedAtMs).toBe(10);
    expect(v.detectedAtMsBySuspect).toEqual(new Map([['acme', 10], ['hooli', 20]]));
    expect(v.alerted).toBe(3);
    // the subject was listed as a victim of another suspect (on Redis): blamed on a neighbour
    expect(v.blamedSubject).toBe(true);
  });

  it('scores AC@1, F1, time to detect and benign alerts over cases; a harmless antagonist is not scored', () => {
    const base = { verdict: { ranking: [] as string[], suspects: new Set<string>(), victims: new Set<string>(), mechanism: undefined, detectedAtMs: undefined, detectedAtMsBySuspect: new Map<string, number>(), alerted: 0, blamedSubject: false } };
    const cases: ScoredCase[] = [
      { label: pgCase, onsetMs: 0, truth: { victims: new Set(['acme', 'globex']), harmOnsetMs: 2000 }, verdict: { ranking: ['hooli'], suspects: new Set(['hooli']), victims: new Set(['acme']), mechanism: 'cpu', detectedAtMs: 6000, detectedAtMsBySuspect: new Map([['hooli', 6000]]), alerted: 1, blamedSubject: false } },
      { label: { ...pgCase, subject: 'stark' }, onsetMs: 0, truth: { victims: new Set(['acme']), harmOnsetMs: 0 }, verdict: { ranking: ['acme'], suspects: new Set(['acme']), victims: new Set(['stark']), mechanism: 'io', detectedAtMs: 10_000, detectedAtMsBySuspect: new Map([['acme', 10_000]]), alerted: 1, blamedSubject: false } },
      { label: pgCase, onsetMs: 0, truth: { victims: new Set(), harmOnsetMs: undefined }, ...base },
      { label: { ...pgCase, label: 'benign', selfInflicted: true, mechanism: undefined }, onsetMs: 0, truth: { victims: new Set(), harmOnsetMs: undefined }, verdict: { ...base.verdict, alerted: 2, blamedSubject: true } },
      { label: { ...pgCase, label: 'benign', mechanism: undefined }, onsetMs: 0, truth: { victims: new Set(), harmOnsetMs: undefined }, ...base },
    ];
    const s = scoreMethod('x', cases);
    expect(s.antagonistCases).toBe(2);
    expect(s.harmlessCases).toBe(1);
    expect(s.ac1).toBe(0.5);
    expect(s.ac1ByKind.postgres).toBe(0.5);
    expect(s.victimF1).toBeCloseTo((f1(new Set(['acme']), new Set(['acme', 'globex'])) + 0) / 2);
    expect(s.mechanismAccuracy).toBe(0.5);
    expect(s.ttdP50Seconds).toBe(6);
    // the second case fired on the wrong tenant: not a detection of that episode
    expect(s.ttdMaxSeconds).toBe(6);
    expect(s.ttdFromHarmP50Seconds).toBe(4);
    expect(s.benignAlertedShare).toBe(0.5);
    expect(s.selfInflictedBlamedShare).toBe(1);
  });

  it('a baseline verdict on another resource names nobody here but still counts as an alert', () => {
    const v = verdictOfBaseline({ detectedAtMs: 1, resource: { kind: 'redis', id: 'redis-eval' }, mechanism: 'command-time', ranking: ['acme'], victims: ['hooli'] }, pgCase);
    expect(v.ranking).toEqual([]);
    expect(v.alerted).toBe(1);
    expect(v.blamedSubject).toBe(true);
  });

  it('the case list is seeded: ≥ 8 antagonists and ≥ 4 benign controls, same seed same list', () => {
    const a = buildRealCases(1).map((c) => `${c.id}:${c.label.subject}`);
    expect(buildRealCases(1).map((c) => `${c.id}:${c.label.subject}`)).toEqual(a);
    expect(buildRealCases(2).map((c) => `${c.id}:${c.label.subject}`)).not.toEqual(a);
    const cases = buildRealCases(1);
    expect(cases.filter((c) => c.label.label === 'antagonist').length).toBeGreaterThanOrEqual(8);
    expect(cases.filter((c) => c.label.label === 'benign').length).toBeGreaterThanOrEqual(4);
  });
});
