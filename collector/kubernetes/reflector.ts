/**
 * List+watch of one resource into a uid-keyed store (client-go's Reflector, in small).
 *
 * Why not the client's ListWatch/makeInformer: its cache is keyed by namespace/name, so two objects
 * with one name and different uids (a StatefulSet pod recreated between a DELETED we missed and the
 * next list, or the recorded podlist's duplicate) collapse into one, and a late DELETED of the old uid
 * deletes the new object; and after any non-410 error it stops for good and leaves retrying to the
 * caller. This keeps the client's `Watch` (transport, auth, line framing) and its typed list calls,
 * and owns the state machine:
 *
 *   (no resourceVersion) → LIST (paged) → replace store by uid → WATCH from the list's version
 *   clean end of a watch (server timeout)   → WATCH again from the last seen version (bookmarks keep it fresh)
 *   ERROR event 410 / HTTP 410 Gone         → LIST again (the version was compacted away)
 *   watch broken mid-stream                 → LIST again: events may have been lost in the cut
 *   429                                     → wait Retry-After (lists); a watch's 429 reaches us without its
 *                                             headers (the client's Watch drops them), so it waits the 1 s
 *                                             the apiserver's throttling filters send, or the backoff if longer
 *   401 / 403                               → a SourceError naming the verb and resource, back off, retry
 *
 * A LIST replaces the store wholesale, so a re-list neither loses nor duplicates objects.
 */
import type { KubernetesObject, Watch } from '@kubernetes/client-node';
import { SourceError, describeError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import { describeAccess, type MetricsResource, type WatchedResource } from './access.js';

export interface ListPage<T> {
  items: T[];
  metadata?: { resourceVersion?: string | undefined; _continue?: string | undefined } | undefined;
}

export type RelistReason = 'initial' | 'gone' | 'disconnect' | 'error';

export interface ReflectorHooks {
  onChange?: () => void;
  onRelist?: (reason: RelistReason) => void;
  /** a failed list or watch: verb, HTTP status (0 = transport) and the typed error */
  onError?: (verb: 'list' | 'watch', status: number, err: SourceError) => void;
}

export interface ReflectorOptions<T> {
  source: string;
  resource: WatchedResource;
  /** the watch path, e.g. /api/v1/pods */
  path: string;
  list: (page: { labelSelector?: string | undefined; continueToken?: string | undefined; limit: number }) => Promise<ListPage<T>>;
  watch: Watch;
  labelSelector?: string | undefined;
  logger: Logger;
  /** where the credentials come from, for 401 messages */
  credentialsHint: string;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  pageSize?: number;
  /**
   * Applied to every object before it is stored (client-go's SetTransform): keep only the fields
   * read, so 10,000 pods do not hold their managedFields, annotations and volumes in memory.
   */
  transform?: (obj: T) => T;
  hooks?: ReflectorHooks;
}

const DEFAULT_BACKOFF_BASE_MS = 500;
const DEFAULT_BACKOFF_MAX_MS = 30_000;
/**
 * The wait a 429 asks for when its Retry-After cannot be read: kube-apiserver's max-in-flight and
 * API priority-and-fairness filters answer every 429 with `Retry-After: 1`.
 */
export const DEFAULT_RETRY_AFTER_MS = 1000;

/** HTTP status of an error from the client: ApiException has `code`, the Watch's Error has `statusCode`. */
export function statusOf(err: unknown): number {
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; statusCode?: unknown };
    if (typeof e.code === 'number') return e.code;
    if (typeof e.statusCode === 'number') return e.statusCode;
  }
  return 0;
}

/** Retry-After in ms from an ApiException's headers (seconds, or an HTTP date). */
export function retryAfterMs(err: unknown, now: number): number | undefined {
  const headers = (err as { headers?: Record<string, string> } | undefined)?.headers;
  const raw = headers?.['retry-after'] ?? headers?.['Retry-After'];
  if (raw === undefined) return undefined;
  const secs = Number(raw);
  if (Number.isFinite(secs) && secs >= 0) return secs * 1000;
  const at = Date.parse(raw);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

/** The typed error for a failed list/watch; 401/403 name what to grant or fix. */
export function apiError(source: string, resource: WatchedResource | MetricsResource, verb: 'list' | 'watch', err: unknown, credentialsHint: string): SourceError {
  const status = statusOf(err);
  const what = describeAccess(resource);
  if (status === 403) {
    return new SourceError(source, `${verb} ${what.label}`, `forbidden (403): cannot ${verb} ${what.label} at the cluster scope — grant "${verb}" on "${what.resource}"${what.apiGroup ? ` in apiGroup "${what.apiGroup}"` : ''} in the ClusterRole (deploy/rbac.yaml)`, { cause: err });
  }
  if (status === 401) {
    return new SourceError(source, `${verb} ${what.label}`, `unauthorized (401): the API server rejected the credentials of ${credentialsHint} — refresh the token or fix the user in the kubeconfig`, { cause: err, code: 'TS_SOURCE_UNREACHABLE' });
  }
  if (status === 429) {
    return new SourceError(source, `${verb} ${what.label}`, 'too many requests (429): the API server asked to retry later — retrying after Retry-After; raise the API priority and fairness share of the collector if this persists', { cause: err });
  }
  if (status === 0) {
    return new SourceError(source, `${verb} ${what.label}`, `${describeError(err)} — is the API server reachable from the collector? (sources.kubernetes)`, { cause: err, code: 'TS_SOURCE_UNREACHABLE' });
  }
  return new SourceError(source, `${verb} ${what.label}`, `HTTP ${status}: ${errorDetail(err)} — the API server answered with an error; retried on the next attempt`, { cause: err });
}

/**
 * What an API error says: the Kubernetes Status' reason and message when the body is one, else the
 * message client-node gives. Not client-node's whole text, which dumps the response headers: their
 * `date` changes every second, so two reports of one failure would never read alike.
 */
function errorDetail(err: unknown): string {
  let body = (err as { body?: unknown } | undefined)?.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body) as unknown;
    } catch {
      // not JSON: the message below
    }
  }
  if (body && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string') {
    const { message, reason } = body as { message: string; reason?: unknown };
    return typeof reason === 'string' && reason ? `${reason}: ${message}` : message;
  }
  const text = describeError(err);
  return /^Message: (.*)$/m.exec(text)?.[1] ?? text.split('\n')[0]!;
}

function uidOf(o: KubernetesObject): string {
  const m = o.metadata;
  return m?.uid || `${m?.namespace ?? ''}/${m?.name ?? ''}`;
}

export class Reflector<T extends KubernetesObject> {
  private readonly objects = new Map<string, T>();
  private resourceVersion = '';
  private stopped = true;
  private loop: Promise<void> | undefined;
  private controller: AbortController | undefined;
  private wake: (() => void) | undefined;
  private failures = 0;
  private eventsThisWatch = 0;
  private pendingRelist: RelistReason = 'initial';
  private lastLogged = '';
  private syncedOnce = false;
  /** the error of the last failed attempt, cleared by the next successful list or event */
  lastError: SourceError | undefined;
  relists = 0;

  constructor(private readonly opts: ReflectorOptions<T>) {}

  get resource(): WatchedResource {
    return this.opts.resource;
  }

  /** true once a list succeeded: the store holds the resource's state (possibly slightly behind) */
  get synced(): boolean {
    return this.syncedOnce;
  }

  /** healthy: synced and the last attempt did not fail */
  get healthy(): boolean {
    return this.syncedOnce && this.lastError === undefined;
  }

  values(): IterableIterator<T> {
    return this.objects.values();
  }

  /** the version a watch resumes from ('' = the next attempt lists) */
  get version(): string {
    return this.resourceVersion;
  }

  get size(): number {
    return this.objects.size;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.controller?.abort();
    this.wake?.();
    await this.loop;
    this.loop = undefined;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let verb: 'list' | 'watch' = 'list';
      try {
        if (!this.resourceVersion) await this.relist();
        verb = 'watch';
        const opened = Date.now();
        this.eventsThisWatch = 0;
        const end = await this.watchOnce();
        if (this.stopped) break;
        if (end === null) {
          // server closed the stream cleanly (its watch timeout): resume from the last version. A
          // stream that ends at once with nothing in it (a proxy that closes every long request)
          // would make this a tight loop, so that case waits like a failure.
          if (this.eventsThisWatch === 0 && Date.now() - opened < 1000) await this.sleep(this.nextBackoff());
          continue;
        }
        if ((end as { name?: string }).name === 'TimeoutError') continue; // idle watch: the client timed it out; resume
        throw end;
      } catch (err) {
        if (this.stopped) break;
        await this.handleFailure(verb, err);
      }
    }
  }

  private async relist(): Promise<void> {
    const items: T[] = [];
    let continueToken: string | undefined;
    let rv = '';
    do {
      const page = await this.opts.list({ labelSelector: this.opts.labelSelector, continueToken, limit: this.opts.pageSize ?? 500 });
      items.push(...(page.items ?? []));
      continueToken = page.metadata?._continue || undefined;
      rv = page.metadata?.resourceVersion ?? '';
    } while (continueToken);
    this.objects.clear();
    const tf = this.opts.transform;
    for (const o of items) this.objects.set(uidOf(o), tf ? tf(o) : o);
    this.resourceVersion = rv;
    this.syncedOnce = true;
    this.relists++;
    this.succeeded();
    this.opts.hooks?.onRelist?.(this.pendingRelist);
    this.opts.hooks?.onChange?.();
  }

  private watchOnce(): Promise<unknown> {
    return new Promise((resolve) => {
      const query: Record<string, string | boolean> = { resourceVersion: this.resourceVersion, allowWatchBookmarks: true };
      if (this.opts.labelSelector !== undefined) query.labelSelector = this.opts.labelSelector;
      this.opts.watch
        .watch(this.opts.path, query, (type, obj) => this.onEvent(type, obj as T), (err) => resolve(err ?? null))
        .then(
          (c) => {
            this.controller = c;
            if (this.stopped) c.abort();
          },
          (err) => resolve(err),
        );
    });
  }

  private onEvent(type: string, obj: T): void {
    this.eventsThisWatch++;
    if (type === 'ERROR') {
      const code = (obj as unknown as { code?: number }).code;
      // 410: the version was compacted; the server ends the stream and we list again
      if (code === 410) {
        this.resourceVersion = '';
        this.pendingRelist = 'gone';
      }
      return;
    }
    const rv = obj?.metadata?.resourceVersion;
    if (type === 'ADDED' || type === 'MODIFIED') {
      this.objects.set(uidOf(obj), this.opts.transform ? this.opts.transform(obj) : obj);
      this.opts.hooks?.onChange?.();
    } else if (type === 'DELETED') {
      this.objects.delete(uidOf(obj));
      this.opts.hooks?.onChange?.();
    }
    // BOOKMARK carries only a resourceVersion: nothing to store, but resuming from it is cheaper
    if (rv) this.resourceVersion = rv;
    if (type !== 'BOOKMARK') this.succeeded();
  }

  private succeeded(): void {
    this.failures = 0;
    if (this.lastError) this.opts.logger.info(`${this.opts.source}: ${this.opts.resource} watch recovered`);
    this.lastError = undefined;
    this.lastLogged = '';
  }

  private async handleFailure(verb: 'list' | 'watch', err: unknown): Promise<void> {
    const status = statusOf(err);
    const typed = apiError(this.opts.source, this.opts.resource, verb, err, this.opts.credentialsHint);
    let delayMs: number;
    if (status === 410 && verb === 'watch') {
      this.resourceVersion = '';
      this.pendingRelist = 'gone';
      delayMs = 0;
    } else {
      // a 410 on a list (an expired continue token) lists again from the start, with backoff so a
      // server that keeps answering 410 is not hammered
      if (status === 410) this.resourceVersion = '';
      const backoff = this.nextBackoff();
      // a 429 is the server asking for a pause: never retry sooner than it asked (or than it asks by
      // default when the header is not visible to us), and back off further when 429s repeat
      delayMs = status === 429 ? (retryAfterMs(err, Date.now()) ?? Math.max(backoff, DEFAULT_RETRY_AFTER_MS)) : backoff;
      if (verb === 'watch' && status === 0) {
        // the stream broke mid-way: events may be lost, so the next attempt lists
        this.resourceVersion = '';
        this.pendingRelist = 'disconnect';
        if (this.failures === 1) delayMs = 0;
      } else if (verb === 'list') {
        this.pendingRelist = this.pendingRelist === 'initial' && !this.syncedOnce ? 'initial' : 'error';
      }
      this.lastError = typed;
      this.opts.hooks?.onError?.(verb, status, typed);
      if (typed.message !== this.lastLogged) {
        this.lastLogged = typed.message;
        // a single cut of a long-lived watch is routine (load balancers, apiserver restarts): info; a
        // repeated or HTTP failure is a warning
        const level = verb === 'watch' && status === 0 && this.failures === 1 ? 'info' : 'warn';
        this.opts.logger[level](typed.message, { resource: this.opts.resource, verb, status, retryInMs: delayMs });
      }
    }
    if (delayMs > 0) await this.sleep(delayMs);
  }

  /** counts a failure and returns the delay before the next attempt: base × 2^(failures-1), capped */
  private nextBackoff(): number {
    this.failures++;
    const base = this.opts.backoffBaseMs ?? DEFAULT_BACKOFF_BASE_MS;
    return Math.min(base * 2 ** (this.failures - 1), this.opts.backoffMaxMs ?? DEFAULT_BACKOFF_MAX_MS);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      // unref: a reflector waiting to retry must not hold the process open
      t.unref();
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }
}
