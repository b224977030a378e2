/**
 * Delivers findings to Alertmanager (POST /api/v2/alerts) and resolves them when their episode
 * ends. Alertmanager expects firing alerts to be re-sent before their endsAt passes, so every sync
 * re-posts all open findings: that same re-send is the retry when Alertmanager was down. Resolved
 * alerts wait in a queue until one post succeeds, so an outage never loses a resolution.
 */
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/log.js';
import { SourceError, describeError, redactUrl } from '../lib/errors.js';

/** The part of a contract finding that alerting reads. */
export interface AlertableFinding {
  id: string;
  kind: 'noisy-neighbor' | 'platform-degradation' | 'tenant-degradation';
  resource: { kind: string; id: string; mechanism?: string | undefined };
  start: string;
  end?: string | null | undefined;
  suspect?: { tenant: string; share?: number | undefined } | null | undefined;
  victims: { tenant: string; signal?: string | undefined }[];
  confidence: number;
  severity: 'info' | 'warning' | 'critical';
}

export interface PostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL?: string;
}

export interface AlertmanagerNotifier {
  /** post open findings, resolve ended and vanished ones; never throws (failures are kept and retried) */
  sync(findings: readonly AlertableFinding[]): Promise<{ posted: number; pending: number; error?: string }>;
  readonly pendingResolutions: number;
}

export interface NotifierOptions {
  url: string;
  /** how long a firing alert stays valid without a re-send; > 2 analysis ticks */
  resendWindowMs?: number;
  timeoutMs?: number;
  /** link in generatorURL, e.g. the API of this process */
  externalUrl?: string;
  maxQueuedResolutions?: number;
}

export function toAlert(f: AlertableFinding, endsAt: string, externalUrl?: string): PostableAlert {
  const scope = f.kind === 'tenant-degradation' || f.kind === 'noisy-neighbor' ? 'tenant' : 'platform';
  // the tenant an operator should look at: the suspect for a noisy neighbour, the degraded tenant otherwise
  const tenant = f.kind === 'noisy-neighbor' ? (f.suspect?.tenant ?? '') : f.kind === 'tenant-degradation' ? (f.victims[0]?.tenant ?? '') : '';
  const victims = f.victims.map((v) => v.tenant).join(', ');
  const what =
    f.kind === 'noisy-neighbor'
      ? `${tenant} degrades ${victims} on ${f.resource.kind} ${f.resource.id}${f.resource.mechanism ? ` through ${f.resource.mechanism}` : ''}`
      : f.kind === 'platform-degradation'
        ? `${f.resource.kind} ${f.resource.id} degraded for ${f.victims.length} tenants, no tenant to blame`
        : `${tenant} degraded on ${f.resource.kind} ${f.resource.id}; its neighbours are not the cause`;
  return {
    labels: {
      alertname: f.kind === 'noisy-neighbor' ? 'TenantscopeNoisyNeighbor' : f.kind === 'platform-degradation' ? 'TenantscopePlatformDegradation' : 'TenantscopeTenantDegradation',
      scope,
      tenant,
      component: `${f.resource.kind}/${f.resource.id}`,
      severity: f.severity,
      finding_id: f.id,
    },
    annotations: {
      summary: what,
      description: `${what} since ${f.start} (confidence ${f.confidence.toFixed(2)}). Victims: ${victims || 'none'}.`,
      victims,
      confidence: f.confidence.toFixed(2),
    },
    startsAt: f.start,
    endsAt,
    ...(externalUrl ? { generatorURL: `${externalUrl}/api/v1/analysis` } : {}),
  };
}

export function createAlertmanagerNotifier(opts: NotifierOptions, deps: { clock: Clock; logger: Logger; fetch?: typeof fetch }): AlertmanagerNotifier {
  const doFetch = deps.fetch ?? fetch;
  const base = opts.url.replace(/\/+$/, '');
  const resendWindowMs = opts.resendWindowMs ?? 5 * 60_000;
  const maxQueued = opts.maxQueuedResolutions ?? 10_000;
  /**
   * the firing alert last posted per finding id. Alertmanager tells alerts apart by their labels, so
   * when a finding's labels change while it is open (its severity escalates) the label set posted
   * before is a different alert, and is resolved then rather than left firing until its endsAt
   */
  const sent = new Map<string, PostableAlert>();
  /** resolutions waiting for a successful post, by label set */
  const resolutions = new Map<string, PostableAlert>();
  const keyOf = (a: PostableAlert) => JSON.stringify(a.labels);
  /** queues the resolution of the label set last posted for `id` unless `next` has the same labels */
  const retire = (id: string, next: PostableAlert | undefined, endsAt: string) => {
    const prev = sent.get(id);
    if (prev && (next === undefined || keyOf(prev) !== keyOf(next))) resolutions.set(keyOf(prev), { ...prev, endsAt });
  };

  const post = async (alerts: PostableAlert[]): Promise<void> => {
    let res: Response;
    try {
      res = await doFetch(`${base}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(alerts),
        signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
      });
    } catch (err) {
      throw new SourceError(`alertmanager ${redactUrl(base)}`, 'POST /api/v2/alerts', `${describeError(err)} — is Alertmanager running? (alertmanager.url)`, { cause: err, code: 'TS_SOURCE_UNREACHABLE' });
    }
    if (!res.ok) {
      const body = (await res.text()).slice(0, 300);
      throw new SourceError(`alertmanager ${redactUrl(base)}`, 'POST /api/v2/alerts', `HTTP ${res.status}: ${body}`);
    }
  };

  return {
    get pendingResolutions() {
      return resolutions.size;
    },
    async sync(findings) {
      const now = deps.clock.now();
      const nowIso = new Date(now).toISOString();
      const endsAt = new Date(now + resendWindowMs).toISOString();
      const open = new Map<string, PostableAlert>();
      const ended = new Set<string>();
      for (const f of findings) {
        if (f.end) {
          const a = toAlert(f, f.end, opts.externalUrl);
          retire(f.id, a, nowIso);
          resolutions.set(keyOf(a), a);
          ended.add(f.id);
        } else open.set(f.id, toAlert(f, endsAt, opts.externalUrl));
      }
      for (const id of ended) sent.delete(id);
      // a finding that vanished without an end (e.g. re-analysis dropped it) is resolved now
      for (const id of [...sent.keys()]) {
        if (open.has(id)) continue;
        retire(id, undefined, nowIso);
        sent.delete(id);
      }
      for (const [id, a] of open) {
        retire(id, a, nowIso);
        sent.set(id, a);
        resolutions.delete(keyOf(a));
      }
      if (resolutions.size > maxQueued) {
        const drop = resolutions.size - maxQueued;
        for (const k of [...resolutions.keys()].slice(0, drop)) resolutions.delete(k);
        deps.logger.warn('alertmanager resolution queue full: oldest dropped (Alertmanager resolves them at endsAt)', { dropped: drop });
      }
      const batch = [...open.values(), ...resolutions.values()];
      if (batch.length === 0) return { posted: 0, pending: 0 };
      try {
        await post(batch);
        resolutions.clear();
        return { posted: batch.length, pending: 0 };
      } catch (err) {
        deps.logger.warn('alert delivery failed; will retry on the next tick', { error: describeError(err), pending: batch.length });
        return { posted: 0, pending: batch.length, error: describeError(err) };
      }
    },
  };
}
