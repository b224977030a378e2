/**
 * Parsers for the text replies the collector reads: INFO (all sections), CLIENT LIST, SLOWLOG GET
 * and LATENCY LATEST. Pure functions, so the fixtures in test/fixtures/redis exercise them without
 * a server. Replies come with CRLF from the server (redis-cli keeps them); both endings are accepted.
 */
import { PayloadError } from '../../lib/errors.js';

export interface CommandStat {
  calls: number;
  usec: number;
  rejectedCalls: number;
  failedCalls: number;
}

export interface KeyspaceDb {
  keys: number;
  expires: number;
}

export interface RedisInfo {
  /** every `field:value` of every section, as text (later duplicates win) */
  fields: Map<string, string>;
  /** INFO commandstats, keyed by command name as Redis spells it (`get`, `client|list`) */
  commandstats: Map<string, CommandStat>;
  /** INFO latencystats (Redis 7+): command → percentile label (`p50`, `p99`, `p99.9`) → microseconds */
  latencystats: Map<string, Map<string, number>>;
  /** INFO keyspace: logical db number → counts */
  keyspace: Map<number, KeyspaceDb>;
}

/** `a=1,b=2` → map; values stay text */
function subfields(value: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) m.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return m;
}

const num = (v: string | undefined): number => (v === undefined || v === '' ? Number.NaN : Number(v));

/** `source` prefixes error messages; the collector passes '' because its SourceError already names the instance */
export function parseInfo(text: string, source = 'redis'): RedisInfo {
  const fields = new Map<string, string>();
  const commandstats = new Map<string, CommandStat>();
  const latencystats = new Map<string, Map<string, number>>();
  const keyspace = new Map<number, KeyspaceDb>();
  let lines = 0;
  let sections = 0;
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '') continue;
    if (line.startsWith('#')) {
      sections++;
      continue;
    }
    // values may contain ':' (executable paths, IPv6 addresses), so split on the first one only
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    lines++;
    const key = line.slice(0, colon);
    const value = line.slice(colon + 1);
    fields.set(key, value);
    if (key.startsWith('cmdstat_')) {
      const s = subfields(value);
      commandstats.set(key.slice('cmdstat_'.length), {
        calls: num(s.get('calls')),
        usec: num(s.get('usec')),
        rejectedCalls: num(s.get('rejected_calls')) || 0,
        failedCalls: num(s.get('failed_calls')) || 0,
      });
    } else if (key.startsWith('latency_percentiles_usec_')) {
      const s = subfields(value);
      const q = new Map<string, number>();
      for (const [p, v] of s) if (Number.isFinite(num(v))) q.set(p, num(v));
      latencystats.set(key.slice('latency_percentiles_usec_'.length), q);
    } else if (/^db\d+$/.test(key)) {
      const s = subfields(value);
      keyspace.set(Number(key.slice(2)), { keys: num(s.get('keys')) || 0, expires: num(s.get('expires')) || 0 });
    }
  }
  // an empty section (`# Keyspace` of an empty instance) is a valid reply; nothing at all is not
  if (lines === 0 && sections === 0) throw new PayloadError(`${source ? source + ': ' : ''}INFO reply has no field:value lines (${JSON.stringify(text.slice(0, 80))}) — is this a Redis server?`);
  return { fields, commandstats, latencystats, keyspace };
}

/** a numeric INFO field, NaN when absent or not a number */
export function infoNumber(info: RedisInfo, field: string): number {
  return num(info.fields.get(field));
}

/** `p99.9` → `0.999`: the quantile label Prometheus summaries use */
export function quantileLabel(p: string): string | undefined {
  const m = /^p(\d+(?:\.\d+)?)$/.exec(p);
  if (!m) return undefined;
  // toPrecision drops the binary noise of /100 (99.9 / 100 = 0.9990000000000001)
  const v = Number((Number(m[1]) / 100).toPrecision(10));
  return Number.isFinite(v) && v >= 0 && v <= 1 ? String(v) : undefined;
}

export interface ClientInfo {
  id: string;
  addr: string;
  name: string;
  user: string;
  db: number;
  idleSeconds: number;
  totMemBytes: number;
  outputBufferBytes: number;
  cmd: string;
}

/** CLIENT LIST: one client a line, `k=v` pairs separated by spaces (a client name cannot contain spaces) */
export function parseClientList(text: string): ClientInfo[] {
  const out: ClientInfo[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const f = new Map<string, string>();
    for (const part of line.split(' ')) {
      const eq = part.indexOf('=');
      if (eq > 0) f.set(part.slice(0, eq), part.slice(eq + 1));
    }
    if (!f.has('id')) continue;
    out.push({
      id: f.get('id') ?? '',
      addr: f.get('addr') ?? '',
      name: f.get('name') ?? '',
      user: f.get('user') ?? '',
      db: num(f.get('db')) || 0,
      idleSeconds: num(f.get('idle')) || 0,
      totMemBytes: num(f.get('tot-mem')) || 0,
      outputBufferBytes: num(f.get('omem')) || 0,
      cmd: f.get('cmd') ?? '',
    });
  }
  return out;
}

export interface SlowlogEntry {
  id: number;
  timestampSeconds: number;
  durationMicros: number;
  args: string[];
  addr: string;
  clientName: string;
}

/** SLOWLOG GET reply: arrays of [id, unix time, microseconds, [args…], client addr, client name] */
export function parseSlowlog(reply: unknown, source = 'redis'): SlowlogEntry[] {
  if (!Array.isArray(reply)) throw new PayloadError(`${source ? source + ': ' : ''}SLOWLOG GET reply is not an array — is this Redis ≥ 4.0?`);
  const out: SlowlogEntry[] = [];
  for (const e of reply) {
    if (!Array.isArray(e) || e.length < 4) continue;
    const [id, ts, us, args, addr, name] = e as unknown[];
    out.push({
      id: Number(id),
      timestampSeconds: Number(ts),
      durationMicros: Number(us),
      args: Array.isArray(args) ? args.map((a) => String(a)) : [],
      addr: typeof addr === 'string' ? addr : '',
      clientName: typeof name === 'string' ? name : '',
    });
  }
  return out;
}

export interface LatencyEvent {
  event: string;
  latestMs: number;
  maxMs: number;
}

/** LATENCY LATEST: [event, unix time, latest ms, all-time max ms] per event */
export function parseLatencyLatest(reply: unknown): LatencyEvent[] {
  if (!Array.isArray(reply)) return [];
  const out: LatencyEvent[] = [];
  for (const e of reply) {
    if (!Array.isArray(e) || e.length < 4) continue;
    out.push({ event: String(e[0]), latestMs: Number(e[2]), maxMs: Number(e[3]) });
  }
  return out;
}

/**
 * Bounded command label: a Redis command name (`get`, `client|list`), lowercased. Anything that
 * does not look like one becomes `other`, so a garbage argv cannot mint series.
 */
export function commandLabel(name: string | undefined): string {
  const c = (name ?? '').toLowerCase();
  return /^[a-z][a-z0-9_.-]{0,31}(\|[a-z][a-z0-9_.-]{0,31})?$/.test(c) ? c : 'other';
}
