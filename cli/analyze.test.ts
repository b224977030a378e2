import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import { buildTopology, createFleetModel, mulberry32, planEpisode } from '../collector/simulated/index.js';
import { createSimulatedSignalSource, SIGNAL_NAMES, toReplayLines } from '../analyzer/signals/index.js';
import { analysisSchema } from '../analyzer/contract/index.js';
import { main, type CliIO } from './main.js';

const ajv = new Ajv2020({ strict: false });
ajvFormats.default(ajv);
const validate = ajv.compile(analysisSchema);

const T0 = Date.UTC(2026, 2, 11, 10, 0);

/** A replay file of a simulated PostgreSQL I/O episode with an hour of history before it. */
async function replayFile(): Promise<{ file: string; antagonist: string }> {
  const topo = buildTopology(24, 4);
  const ep = planEpisode(topo, mulberry32(7), { scenario: 'pg-io', startMs: T0, durationMs: 8 * 60_000, antagonists: 1, id: 'pg-io' });
  const model = createFleetModel({ tenants: 24, seed: 4, episodes: [ep] });
  const range = await createSimulatedSignalSource(model).range({ signals: SIGNAL_NAMES }, T0 - 3_600_000, T0 + 20 * 60_000, 15_000);
  const file = join(mkdtempSync(join(tmpdir(), 'ts-replay-')), 'episode.jsonl');
  writeFileSync(file, toReplayLines(range));
  return { file, antagonist: ep.tenants[0]! };
}

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: (s: string) => out.push(s), stderr: (s: string) => err.push(s), env: {}, untilSignal: async () => 'SIGTERM' } satisfies CliIO };
}

describe('tenantscope analyze', () => {
  it('--format json prints contract JSON naming the antagonist; --format table adds a chart', { timeout: 60_000 }, async () => {
    const { file, antagonist } = await replayFile();
    const window = ['--from', new Date(T0 - 120_000).toISOString(), '--to', new Date(T0 + 15 * 60_000).toISOString()];
    const j = io();
    expect(await main(['analyze', '--replay', file, '--format', 'json', ...window], j.io)).toBe(0);
    const result = JSON.parse(j.out.join('')) as { findings: { kind: string; suspect?: { tenant: string } | null; resource: { kind: string } }[] };
    expect(validate(result), JSON.stringify(validate.errors)).toBe(true);
    const nn = result.findings.find((f) => f.kind === 'noisy-neighbor' && f.resource.kind === 'postgres');
    expect(nn?.suspect?.tenant).toBe(antagonist);

    const t = io();
    expect(await main(['analyze', '--replay', file, ...window], t.io)).toBe(0);
    const text = t.out.join('');
    expect(text).toContain(`noisy neighbour ${antagonist}`);
    expect(text).toMatch(/of the victims on postgres/); // the chart's caption
    expect(text).toMatch(/[┤┼]/); // and the chart
  });

  it('bad input: a malformed replay line names its line number; a bad time names the flag; exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ts-replay-bad-'));
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"t":"2026-03-11T10:00:00Z","signal":"postgres.tps","tenant":"a","resource":"pg","value":1}\nnot json\n');
    const a = io();
    expect(await main(['analyze', '--replay', bad], a.io)).toBe(2);
    expect(a.err.join('')).toMatch(/line 2/);
    const good = join(dir, 'good.jsonl');
    writeFileSync(good, '{"t":"2026-03-11T10:00:00Z","signal":"postgres.tps","tenant":"a","resource":"pg","value":1}\n');
    const b = io();
    expect(await main(['analyze', '--replay', good, '--from', 'last tuesday'], b.io)).toBe(2);
    expect(b.err.join('')).toContain('--from "last tuesday" is not a time');
  });

  it('with nothing to read it says where signals can come from', async () => {
    const cfg = join(mkdtempSync(join(tmpdir(), 'ts-none-')), 'c.yaml');
    writeFileSync(cfg, `storage: { dataDir: ${JSON.stringify(join(tmpdir(), 'ts-nothing-here'))} }\n`);
    const r = io();
    expect(await main(['--config', cfg, 'analyze'], r.io)).toBe(2);
    expect(r.err.join('')).toMatch(/no signals to analyze: .* run `tenantscope run` first/);
  });
});
