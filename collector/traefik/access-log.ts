/**
 * Traefik JSON access-log lines (`accessLog.format: json`) → per-tenant increments.
 *
 * Fields read (Traefik's names): DownstreamStatus (what the client got; OriginStatus when absent),
 * Duration in nanoseconds, RouterName (chained routers arrive as `a@file -> b@file`; the resolver
 * lets the last one decide), ServiceName, RequestHost (the only identity of an unmatched 404, which
 * has no RouterName), RequestContentSize and DownstreamContentSize. ServiceURL is a string in some
 * versions and a url.URL object in others; it is never needed, so its shape cannot break a line.
 *
 * Lines are aggregated per tenant in an `AccessLogBatch` and applied to prom-client once per poll:
 * per-line `inc()` with a label object hashes the labels each time, which would cost more than
 * the JSON.parse the line needs anyway.
 */
import type { TraefikIdentity } from '../../tenancy/index.js';
import { codeClass, isAuthFailure } from './scrape.js';

export type LogErrorReason = 'not_json' | 'invalid_json' | 'not_an_object' | 'missing_status' | 'line_too_long';

export interface AccessRecord {
  status: number;
  /** seconds; undefined when the line has no usable Duration */
  durationSeconds: number | undefined;
  identity: TraefikIdentity;
  requestBytes: number;
  responseBytes: number;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' && v !== '-' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && v !== '' && Number.isFinite(Number(v)) ? Number(v) : undefined);

/** One line → a record, or the reason it is skipped. Never throws. */
export function parseAccessLine(line: string): AccessRecord | LogErrorReason {
  // plugins and Traefik's own logger may share the file: anything not starting with `{` is not ours
  let i = 0;
  while (i < line.length && (line.charCodeAt(i) === 32 || line.charCodeAt(i) === 9)) i++;
  if (line.charCodeAt(i) !== 123) return 'not_json';
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    return 'invalid_json';
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return 'not_an_object';
  const r = o as Record<string, unknown>;
  const status = num(r.DownstreamStatus) ?? num(r.OriginStatus);
  if (status === undefined) return 'missing_status';
  const ns = num(r.Duration);
  return {
    status,
    durationSeconds: ns !== undefined && ns >= 0 ? ns / 1e9 : undefined,
    identity: { router: str(r.RouterName), service: str(r.ServiceName), host: str(r.RequestHost) ?? str(r.RequestAddr) },
    requestBytes: num(r.RequestContentSize) ?? 0,
    responseBytes: num(r.DownstreamContentSize) ?? 0,
  };
}

export interface TenantLogBatch {
  requests: Map<string, number>;
  authFailures: number;
  requestBytes: number;
  responseBytes: number;
  durationsSeconds: number[];
}

/** Lines of one poll, aggregated per tenant. */
export class AccessLogBatch {
  readonly tenants = new Map<string, TenantLogBatch>();
  readonly errors = new Map<LogErrorReason, number>();
  lines = 0;

  constructor(private readonly resolve: (id: TraefikIdentity) => string) {}

  add(line: string): void {
    if (line.length === 0) return;
    const rec = parseAccessLine(line);
    if (typeof rec === 'string') {
      this.error(rec);
      return;
    }
    this.lines++;
    const tenant = this.resolve(rec.identity);
    let t = this.tenants.get(tenant);
    if (!t) this.tenants.set(tenant, (t = { requests: new Map(), authFailures: 0, requestBytes: 0, responseBytes: 0, durationsSeconds: [] }));
    const cls = codeClass(rec.status);
    t.requests.set(cls, (t.requests.get(cls) ?? 0) + 1);
    if (isAuthFailure(rec.status)) t.authFailures++;
    t.requestBytes += rec.requestBytes;
    t.responseBytes += rec.responseBytes;
    if (rec.durationSeconds !== undefined) t.durationsSeconds.push(rec.durationSeconds);
  }

  error(reason: LogErrorReason): void {
    this.errors.set(reason, (this.errors.get(reason) ?? 0) + 1);
  }
}
