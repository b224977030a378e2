import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { main, type CliIO } from './main.js';

const fixtures = join(import.meta.dirname, '..', 'test', 'fixtures', 'config');

function io(untilSignal: CliIO['untilSignal'] = async () => 'SIGTERM') {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: (s: string) => out.push(s), stderr: (s: string) => err.push(s), env: {}, untilSignal } satisfies CliIO };
}

describe('CLI', () => {
  it('check-config: good file exits 0, bad files exit 2 with path: message lines for every file', async () => {
    const good = io();
    expect(await main(['check-config', join(fixtures, 'minimal.good.yaml')], good.io)).toBe(0);
    expect(good.out.join('')).toMatch(/minimal\.good\.yaml: ok — 1 tenants/);
    const bad = io();
    expect(await main(['check-config', join(fixtures, 'unknown-key.bad.yaml'), join(fixtures, 'duplicate-tenant.bad.yaml')], bad.io)).toBe(2);
    const text = bad.out.join('');
    expect(text).toContain('  servr: unknown key — did you mean "server"?');
    expect(text).toContain('  tenancy.tenants[2].id: duplicate tenant id "acme"');
  });

  it('usage errors exit 2, --help exits 0', async () => {
    expect(await main(['frobnicate'], io().io)).toBe(2);
    const h = io();
    expect(await main(['run', '--help'], h.io)).toBe(0);
    expect(h.out.join('')).toContain('--listen');
  });

  it('run with a bad --config exits 2 naming the file', async () => {
    const r = io();
    expect(await main(['--config', join(fixtures, 'wrong-types.bad.yaml'), 'run'], r.io)).toBe(2);
    expect(r.err.join('')).toContain('collector.scrapeIntervalMs: expected number');
  });

  it('run serves /healthz, /metrics and the analysis API on the simulated fleet and stops on a signal', { timeout: 90_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ts-cli-'));
    const cfg = join(dir, 'tenantscope.yaml');
    writeFileSync(cfg, `storage: { dataDir: ${JSON.stringify(join(dir, 'data'))} }\n`);
    let served: { health: number; metrics: string; analysis?: { findings: unknown[]; bands: unknown[] } } | undefined;
    const r = io(async () => {
      const url = /serving url=(\S+)/.exec(r.err.join(''))?.[1];
      const health = await fetch(`${url}/healthz`);
      served = { health: health.status, metrics: await (await fetch(`${url}/metrics`)).text() };
      const analysis = await fetch(`${url}/api/v1/analysis`);
      served.analysis = (await analysis.json()) as { findings: unknown[]; bands: unknown[] };
      return 'SIGINT';
    });
    expect(await main(['--config', cfg, 'run', '--listen', '127.0.0.1:0'], r.io)).toBe(0);
    expect(served?.analysis?.findings).toBeInstanceOf(Array);
    expect(served?.health).toBe(200);
    expect(served?.metrics).toContain('tenantscope_build_info');
    expect(served?.metrics).toContain('tenantscope_process_');
    expect(r.err.join('')).toContain('stopped cleanly');
  });
});
