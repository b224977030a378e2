/**
 * Replay files: JSON lines of samples, one per line, for offline analysis and tests:
 *   {"t":"2026-03-11T10:00:00Z","signal":"postgres.mean_query_seconds","tenant":"acme","resource":"pg-main","value":0.004}
 * `t` is an RFC 3339 time or epoch milliseconds; `sub` (e.g. the wait_event_type) is optional;
 * `value` null means unknown. Blank lines and lines starting with # are skipped. A malformed line is
 * a PayloadError naming the file, the line number and what is wrong with it.
 */
import { readFile } from 'node:fs/promises';
import { PayloadError } from '../../lib/errors.js';
import { createSignalStore } from './store.js';
import { isSignalName, readsSeries, RESOURCE_SERIES, SIGNAL_NAMES, type SeriesKey, type SignalRange, type SignalSource } from './types.js';

export interface ReplaySample extends SeriesKey {
  tMs: number;
  value: number;
}

export function parseReplay(text: string, file = 'replay'): ReplaySample[] {
  const out: ReplaySample[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const where = `replay file ${file}: line ${i + 1}`;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch (err) {
      throw new PayloadError(`${where}: not valid JSON (${(err as Error).message}) — each line must be one JSON object`, { cause: err });
    }
    if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new PayloadError(`${where}: expected a JSON object, got ${JSON.stringify(o).slice(0, 60)}`);
    const tMs = typeof o.t === 'number' ? o.t : typeof o.t === 'string' ? Date.parse(o.t) : Number.NaN;
    if (!Number.isFinite(tMs)) throw new PayloadError(`${where}: t=${JSON.stringify(o.t)} is not a time — use RFC 3339 or epoch milliseconds`);
    if (typeof o.signal !== 'string' || !isSignalName(o.signal)) {
      throw new PayloadError(`${where}: signal=${JSON.stringify(o.signal)} is unknown — one of ${SIGNAL_NAMES.join(', ')}`);
    }
    if (typeof o.resource !== 'string' || o.resource === '') throw new PayloadError(`${where}: resource=${JSON.stringify(o.resource)} must name the node, cluster, instance or ingress`);
    const tenant = o.tenant === undefined || o.tenant === null ? RESOURCE_SERIES : o.tenant;
    if (typeof tenant !== 'string') throw new PayloadError(`${where}: tenant=${JSON.stringify(o.tenant)} must be a string`);
    const value = o.value === null ? Number.NaN : o.value;
    if (typeof value !== 'number') throw new PayloadError(`${where}: value=${JSON.stringify(o.value)} must be a number or null`);
    const sub = o.sub === undefined ? '' : o.sub;
    if (typeof sub !== 'string') throw new PayloadError(`${where}: sub=${JSON.stringify(o.sub)} must be a string`);
    if (readsSeries(o.signal, tenant)) out.push({ tMs, signal: o.signal, tenant, resource: o.resource, sub, value });
  }
  return out;
}

/** a SignalSource over the samples of a replay file, at `resolutionMs` (default 15 s) */
export function createReplaySource(samples: readonly ReplaySample[], opts: { resolutionMs?: number; name?: string } = {}): SignalSource {
  const res = opts.resolutionMs ?? 15_000;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const s of samples) {
    if (s.tMs < min) min = s.tMs;
    if (s.tMs > max) max = s.tMs;
  }
  const span = samples.length ? max - min : 0;
  const store = createSignalStore({ resolutionMs: res, fineHorizonMs: span + 2 * res, retentionMs: span + 2 * res + 600_000, maxSeries: 1_000_000 });
  // oldest first so the fine tier's horizon is anchored on the newest sample, whatever the file order
  const sorted = [...samples].sort((a, b) => a.tMs - b.tMs);
  for (const s of sorted) store.append(s, s.tMs, s.value);
  return { name: opts.name ?? 'replay', range: (q, from, to, step) => store.range(q, from, to, step) };
}

export async function loadReplayFile(file: string, opts: { resolutionMs?: number } = {}): Promise<SignalSource> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new PayloadError(`replay file ${file}: cannot read it (${(err as Error).message}) — check the path`, { cause: err });
  }
  return createReplaySource(parseReplay(text, file), { ...opts, name: `replay:${file}` });
}

/** JSON lines of a range, the inverse of parseReplay (unknown points are skipped) */
export function toReplayLines(range: SignalRange): string {
  const lines: string[] = [];
  for (let j = 0; j < range.points; j++) {
    const t = new Date(range.startMs + j * range.stepMs).toISOString();
    for (const s of range.series) {
      const v = s.values[j]!;
      if (!Number.isFinite(v)) continue;
      lines.push(JSON.stringify({ t, signal: s.signal, tenant: s.tenant, resource: s.resource, ...(s.sub ? { sub: s.sub } : {}), value: v }));
    }
  }
  return lines.join('\n') + (lines.length ? '\n' : '');
}
