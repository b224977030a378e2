/**
 * The embedded signal store: bounded ring buffers in typed arrays, two tiers per series.
 *  - fine: every sample at the collection resolution (15 s) for the recent hours detection needs;
 *  - coarse: 5-minute means for the whole retention, which is what time-of-day baselines need.
 * Memory is fixed per series (fine slots × 12 + coarse slots × 14 bytes, as stats().bytes counts it) and the number of series is
 * capped, so memory is bounded by construction. Out-of-order and duplicate samples within the fine
 * horizon land in their slot (the last write wins); samples older than the horizon are dropped and
 * counted. A snapshot file keeps the store across restarts.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { StorageError } from '../../lib/errors.js';
import { grid, isSignalName, RESOURCE_SERIES, seriesKey, type Series, type SeriesKey, type SignalQuery, type SignalRange, type SignalSource } from './types.js';

export interface SignalStoreOptions {
  /** resolution of the fine tier (the collection tick); default 15 s */
  resolutionMs?: number;
  /** how long the fine tier reaches back; default 6 h */
  fineHorizonMs?: number;
  /** resolution of the coarse tier; default 5 min */
  coarseResolutionMs?: number;
  /** how long anything is kept (analyzer.retentionHours); default 8 days */
  retentionMs?: number;
  /** hard cap on series; new series beyond it are dropped and counted; default 250 000 */
  maxSeries?: number;
}

interface Ring {
  key: SeriesKey;
  /** seriesKey(key), the ring's key in the store and the `key` of the series range() returns */
  id: string;
  /** the latest slot appended (-1: none), to tell a series that comes back after a gap */
  last: number;
  fineSlot: Int32Array;
  fine: Float64Array;
  coarseSlot: Int32Array;
  coarseSum: Float64Array;
  coarseCount: Uint16Array;
}

export interface SignalStoreStats {
  series: number;
  droppedSeries: number;
  droppedSamples: number;
  bytes: number;
}

export interface SignalStore extends SignalSource {
  append(key: SeriesKey, tMs: number, value: number): void;
  /** every series key held (topology, listing) */
  keys(): SeriesKey[];
  stats(): SignalStoreStats;
  /** writes the store to `file` atomically (temp file + rename) */
  save(file: string): Promise<void>;
  /** loads a snapshot written by save(); a missing file is an empty start, a corrupt one a StorageError */
  load(file: string, nowMs: number): Promise<{ series: number; samples: number }>;
  /** removes every series of a tenant (a tenant that went away) */
  forgetTenant(tenant: string): number;
}

const SNAPSHOT_VERSION = 2;
/**
 * Slots a series may miss and still count as present throughout for generation(): the live window
 * (many more slots) holds it all along. One that comes back after a longer gap changes the generation,
 * since a window that lost it would not see it return.
 */
const REVIVAL_GAP = 8;
const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

export function createSignalStore(opts: SignalStoreOptions = {}): SignalStore {
  const res = opts.resolutionMs ?? 15_000;
  const coarseRes = opts.coarseResolutionMs ?? 300_000;
  const retention = opts.retentionMs ?? 8 * 24 * 3_600_000;
  const fineHorizon = Math.min(opts.fineHorizonMs ?? 6 * 3_600_000, retention);
  const maxSeries = opts.maxSeries ?? 250_000;
  const fineCap = Math.ceil(fineHorizon / res) + 1;
  const coarseCap = Math.ceil(retention / coarseRes) + 1;
  const rings = new Map<string, Ring>();
  let latestFineSlot = -1;
  let droppedSeries = 0;
  let droppedSamples = 0;

  /** SignalSource.generation(): a series came or went, or came back after more than REVIVAL_GAP slots */
  let generation = 0;
  const newRing = (key: SeriesKey, id = seriesKey(key)): Ring => ({
    key,
    id,
    last: -1,
    fineSlot: new Int32Array(fineCap).fill(-1),
    fine: new Float64Array(fineCap),
    coarseSlot: new Int32Array(coarseCap).fill(-1),
    coarseSum: new Float64Array(coarseCap),
    coarseCount: new Uint16Array(coarseCap),
  });

  const addCoarse = (r: Ring, tMs: number, v: number, sign: 1 | -1) => {
    const cs = Math.floor(tMs / coarseRes);
    const ci = cs % coarseCap;
    if (r.coarseSlot[ci] !== cs) {
      if (sign < 0) return;
      r.coarseSlot[ci] = cs;
      r.coarseSum[ci] = 0;
      r.coarseCount[ci] = 0;
    }
    r.coarseSum[ci]! += sign * v;
    r.coarseCount[ci]! += sign;
  };

  const append = (key: SeriesKey, tMs: number, value: number) => {
    const slot = Math.floor(tMs / res);
    if (slot < 0) return;
    if (latestFineSlot - slot >= fineCap - 1) {
      droppedSamples++;
      return;
    }
    const k = seriesKey(key);
    let r = rings.get(k);
    if (!r) {
      if (rings.size >= maxSeries) {
        droppedSeries++;
        return;
      }
      r = newRing(key, k);
      rings.set(k, r);
      generation++;
    }
    if (slot > r.last) {
      // back after a gap: a window that did not hold it (no known point) would now
      if (r.last >= 0 && slot - r.last > REVIVAL_GAP) generation++;
      r.last = slot;
    }
    if (slot > latestFineSlot) latestFineSlot = slot;
    const i = slot % fineCap;
    // a duplicate replaces the earlier sample, in both tiers
    if (r.fineSlot[i] === slot && Number.isFinite(r.fine[i]!)) addCoarse(r, slot * res, r.fine[i]!, -1);
    r.fineSlot[i] = slot;
    r.fine[i] = value;
    if (Number.isFinite(value)) addCoarse(r, slot * res, value, 1);
  };

  const readPoint = (r: Ring, p: number, stepMs: number): number => {
    // fine tier while it covers the point: the mean of the samples in (p - step, p]
    const lastSlot = Math.floor(p / res);
    const firstSlot = Math.floor((p - stepMs) / res) + 1;
    if (latestFineSlot - firstSlot < fineCap - 1 && stepMs <= coarseRes) {
      let sum = 0;
      let n = 0;
      for (let s = Math.max(0, firstSlot); s <= lastSlot; s++) {
        const i = s % fineCap;
        if (r.fineSlot[i] === s) {
          const v = r.fine[i]!;
          if (Number.isFinite(v)) {
            sum += v;
            n++;
          }
        }
      }
      return n ? sum / n : Number.NaN;
    }
    // coarse tier: the buckets overlapping (p - step, p]
    let sum = 0;
    let n = 0;
    // buckets are [c·res, (c+1)·res): those ending by p, like the fine tier's (p - step, p]
    const c1 = Math.floor((p - 1) / coarseRes);
    const c0 = Math.min(c1, Math.floor((p - stepMs) / coarseRes));
    for (let c = Math.max(0, c0); c <= c1; c++) {
      const i = c % coarseCap;
      if (r.coarseSlot[i] === c && r.coarseCount[i]! > 0) {
        sum += r.coarseSum[i]!;
        n += r.coarseCount[i]!;
      }
    }
    return n ? sum / n : Number.NaN;
  };

  /**
   * values[from, to) from consecutive fine slots slot0 + j of a ring (wrapping at its end): a slot
   * holding an older sample (or none) is unknown. Returns whether any value is known.
   */
  const readFine = (r: Ring, values: Float64Array, slot0: number, from: number, to: number): boolean => {
    const { fineSlot, fine } = r;
    let any = false;
    let slot = slot0 + from;
    let i = slot % fineCap;
    for (let j = from; j < to; j++, slot++) {
      const v = fineSlot[i] === slot ? fine[i]! : Number.NaN;
      values[j] = v;
      if (v - v === 0) any = true; // finite
      if (++i === fineCap) i = 0;
    }
    return any;
  };

  const warnings = () => (droppedSeries ? [`embedded store: ${droppedSeries} new series dropped at the cap of ${maxSeries} — raise the cap or reduce cardinality`] : []);

  const range = async (q: SignalQuery, fromMs: number, toMs: number, stepMs: number): Promise<SignalRange> => {
    const { startMs, points } = grid(fromMs, toMs, stepMs);
    const want = new Set(q.signals);
    const tenants = q.tenants ? new Set(q.tenants) : undefined;
    const oldest = (latestFineSlot * res) - retention;
    const series: Series[] = [];
    // the common live case (one fine sample per point, all within the fine horizon): the points map
    // to consecutive slots, so each series is one strided copy instead of a slot computation per point
    const direct = stepMs === res && startMs % res === 0;
    const slot0 = startMs / res;
    // points [jFine, points) are within the fine horizon; before jOld, older than the retention
    const jFine = direct ? Math.max(0, Math.min(points, latestFineSlot - fineCap + 2 - slot0)) : points;
    const jOld = Math.max(0, Math.min(points, Math.ceil((oldest - startMs) / stepMs)));
    const chosen: Ring[] = [];
    for (const r of rings.values()) {
      if (!want.has(r.key.signal)) continue;
      if (tenants && r.key.tenant !== RESOURCE_SERIES && !tenants.has(r.key.tenant)) continue;
      chosen.push(r);
    }
    // one buffer for every series, each a view of it: one allocation per read, not one backing store per series
    const buffer = new Float64Array(chosen.length * points);
    for (let k = 0; k < chosen.length; k++) {
      const r = chosen[k]!;
      const values = buffer.subarray(k * points, (k + 1) * points);
      let any = false;
      for (let j = 0; j < jFine; j++) {
        const v = j < jOld ? Number.NaN : readPoint(r, startMs + j * stepMs, stepMs);
        values[j] = v;
        if (!any && Number.isFinite(v)) any = true;
      }
      if (jFine < points) {
        // consecutive slots of the ring (wrapping at its end): a slot holding an older sample (or none)
        // is unknown, and so is a point before the epoch (append() drops those); the fine horizon never
        // reaches past the retention, so nothing here is older than it
        const jSlot = Math.max(jFine, Math.min(points, -slot0));
        if (jSlot > jFine) values.fill(Number.NaN, jFine, jSlot);
        if (readFine(r, values, slot0, jSlot, points)) any = true;
      }
      // with its key, so the live loop's window and baselines never rebuild it
      if (any) series.push({ signal: r.key.signal, tenant: r.key.tenant, resource: r.key.resource, sub: r.key.sub, key: r.id, values });
    }
    return { startMs, stepMs, points, series, warnings: warnings() };
  };

  const advance = (range: SignalRange, shift: number, from: number, since: number): SignalRange | undefined => {
    const { stepMs, points } = range;
    const startMs = range.startMs + shift * stepMs;
    // range()'s direct path only: one fine slot per point, the points read anew within the fine horizon
    // and the retention; the points that stay were read before
    if (since !== generation || stepMs !== res || startMs % res !== 0 || shift < 0 || from < 0 || from > points || shift + from > points) return undefined;
    const slot0 = startMs / res;
    if (slot0 + from < Math.max(0, latestFineSlot - fineCap + 2) || startMs + from * stepMs < latestFineSlot * res - retention) return undefined;
    const found: Ring[] = [];
    for (const s of range.series) {
      const id = s.key;
      const r = id === undefined ? undefined : rings.get(id);
      if (!r) return undefined;
      found.push(r);
    }
    for (let k = 0; k < found.length; k++) {
      const values = range.series[k]!.values;
      if (shift > 0) values.copyWithin(0, shift, shift + from);
      readFine(found[k]!, values, slot0, from, points);
    }
    return { startMs, stepMs, points, series: range.series, warnings: warnings() };
  };
  const b64 = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
  const fromB64 = <T>(s: string, C: new (b: ArrayBuffer) => T): T => {
    const buf = Buffer.from(s, 'base64');
    const copy = new ArrayBuffer(buf.byteLength);
    new Uint8Array(copy).set(buf);
    return new C(copy);
  };

  return {
    name: 'embedded',
    append,
    range,
    generation: () => generation,
    advance,
    keys: () => [...rings.values()].map((r) => r.key),
    stats: () => ({
      series: rings.size,
      droppedSeries,
      droppedSamples,
      bytes: rings.size * (fineCap * 12 + coarseCap * 14),
    }),
    forgetTenant(tenant) {
      let n = 0;
      for (const [k, r] of rings) if (r.key.tenant === tenant) n += rings.delete(k) ? 1 : 0;
      if (n) generation++;
      return n;
    },
    async save(file) {
      // sparse (only filled slots) and gzipped: a store an hour old is mostly empty slots
      const series = [...rings.values()].map((r) => {
        const fi: number[] = [];
        for (let i = 0; i < fineCap; i++) if (r.fineSlot[i]! >= 0) fi.push(i);
        const ci: number[] = [];
        for (let i = 0; i < coarseCap; i++) if (r.coarseSlot[i]! >= 0) ci.push(i);
        return {
          key: r.key,
          fineSlot: b64(Int32Array.from(fi, (i) => r.fineSlot[i]!)),
          fine: b64(Float64Array.from(fi, (i) => r.fine[i]!)),
          coarseSlot: b64(Int32Array.from(ci, (i) => r.coarseSlot[i]!)),
          coarseSum: b64(Float64Array.from(ci, (i) => r.coarseSum[i]!)),
          coarseCount: b64(Uint16Array.from(ci, (i) => r.coarseCount[i]!)),
        };
      });
      const doc = { version: SNAPSHOT_VERSION, resolutionMs: res, coarseResolutionMs: coarseRes, fineCap, coarseCap, latestFineSlot, series };
      try {
        await mkdir(dirname(file), { recursive: true });
        const tmp = `${file}.tmp-${process.pid}`;
        await writeFile(tmp, await gzipAsync(JSON.stringify(doc)));
        await rename(tmp, file);
      } catch (err) {
        throw new StorageError(`embedded signal store: cannot write snapshot ${file}: ${(err as Error).message} — check that storage.dataDir is writable`, { cause: err });
      }
    },
    async load(file, nowMs) {
      let text: string;
      try {
        const raw = await readFile(file);
        text = raw[0] === 0x1f && raw[1] === 0x8b ? (await gunzipAsync(raw)).toString('utf8') : raw.toString('utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { series: 0, samples: 0 };
        throw new StorageError(`embedded signal store: cannot read snapshot ${file}: ${(err as Error).message} — check permissions of storage.dataDir, or delete the file to start empty`, { cause: err });
      }
      let doc: {
        version: number;
        resolutionMs: number;
        coarseResolutionMs: number;
        fineCap: number;
        coarseCap: number;
        series: { key: SeriesKey; fineSlot: string; fine: string; coarseSlot: string; coarseSum: string; coarseCount: string }[];
      };
      try {
        doc = JSON.parse(text) as typeof doc;
      } catch (err) {
        throw new StorageError(`embedded signal store: snapshot ${file} is not valid JSON — delete it to start empty`, { cause: err });
      }
      if (doc.version !== SNAPSHOT_VERSION || doc.resolutionMs !== res || doc.coarseResolutionMs !== coarseRes || doc.fineCap !== fineCap || doc.coarseCap !== coarseCap) {
        // a different layout (resolution or retention changed): the old samples cannot be placed; start empty rather than misplace them
        return { series: 0, samples: 0 };
      }
      let samples = 0;
      const nowFine = Math.floor(nowMs / res);
      const nowCoarse = Math.floor(nowMs / coarseRes);
      for (const s of doc.series) {
        if (!isSignalName(s.key.signal) || rings.size >= maxSeries) continue;
        const r = newRing({ signal: s.key.signal, tenant: String(s.key.tenant), resource: String(s.key.resource), sub: String(s.key.sub ?? '') });
        const fSlots = fromB64(s.fineSlot, Int32Array);
        const fVals = fromB64(s.fine, Float64Array);
        // samples older than the fine horizon by the time we restart are expired now
        for (let k = 0; k < fSlots.length && k < fVals.length; k++) {
          const slot = fSlots[k]!;
          if (slot < 0 || nowFine - slot >= fineCap - 1) continue;
          r.fineSlot[slot % fineCap] = slot;
          r.fine[slot % fineCap] = fVals[k]!;
          samples++;
          if (slot > latestFineSlot) latestFineSlot = slot;
        }
        const cSlots = fromB64(s.coarseSlot, Int32Array);
        const cSums = fromB64(s.coarseSum, Float64Array);
        const cCounts = fromB64(s.coarseCount, Uint16Array);
        for (let k = 0; k < cSlots.length && k < cSums.length && k < cCounts.length; k++) {
          const slot = cSlots[k]!;
          if (slot < 0 || nowCoarse - slot >= coarseCap - 1) continue;
          r.coarseSlot[slot % coarseCap] = slot;
          r.coarseSum[slot % coarseCap] = cSums[k]!;
          r.coarseCount[slot % coarseCap] = cCounts[k]!;
        }
        r.last = r.fineSlot.reduce((m, slot) => Math.max(m, slot), -1);
        rings.set(r.id, r);
      }
      generation++;
      return { series: rings.size, samples };
    },
  };
}
