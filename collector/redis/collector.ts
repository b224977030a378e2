/**
 * The Redis collector: one lifecycle object per configured instance, standalone or behind Sentinel
 * (a redis+sentinel:// URL, sentinel.ts: the connections ask the sentinels for the master's address on
 * every (re)connect, so after a failover the next tick lands on the new master).
 *
 * Three connections, each with one job, so that none queues behind another on the same socket:
 * - `poll`: INFO ALL, CONFIG GET, CLIENT LIST, SLOWLOG GET, LATENCY LATEST once per scrape;
 * - `walk`: the paced SCAN + MEMORY USAGE walk (walk.ts) on its own cadence;
 * - `canary`: a PING every few seconds, timed — what any client of the instance would feel.
 *
 * Every step fails alone: a refused command (ACL), a disabled one (managed Redis) or a dropped
 * connection is counted, logged with the instance (password redacted), the command and the remedy,
 * and the other steps keep flowing. Connections never reconnect on their own (retryStrategy null,
 * no offline queue, so nothing hangs); every tick reconnects what is down — recovery without restart.
 */
import { Redis } from 'ioredis';
import type { Collector, CollectorDeps } from '../types.js';
import type { RedisSourceConfig } from '../../config/index.js';
import { SourceError, describeError, redactUrl } from '../../lib/errors.js';
import { createLoop, type Loop } from '../../lib/loop.js';
import { CounterDeltas, StaleSeries } from '../series.js';
import { UNATTRIBUTED_TENANT } from '../../tenancy/index.js';
import { redisMetricsFor } from './metrics.js';
import {
  commandLabel,
  infoNumber,
  parseClientList,
  parseInfo,
  parseLatencyLatest,
  parseSlowlog,
  quantileLabel,
  type ClientInfo,
  type RedisInfo,
  type KeyspaceDb,
} from './info.js';
import { estimateTenant, walkKeyspace, type WalkCommands, type WalkResult } from './walk.js';
import { describeSentinel, formatAddress, isSentinelUrl, parseSentinelUrl } from './sentinel.js';

/** Our own connections carry this client-name prefix and are left out of tenant clients and slow commands. */
export const SELF_CLIENT_PREFIX = 'tenantscope-';

export type RedisStep = 'connect' | 'info' | 'config' | 'clients' | 'slowlog' | 'latency' | 'walk' | 'canary';

export interface RedisCollector extends Collector {
  /** runs one complete key walk now (after a running one) and publishes it; never throws */
  walk(): Promise<void>;
  /** runs one stall probe now; never throws */
  probe(): Promise<void>;
  /** the steps failing right now, with their message (empty when all is well) */
  errors(): ReadonlyMap<RedisStep, SourceError>;
}

export interface RedisCollectorOptions {
  /** poll cadence of start(); the composition root passes collector.scrapeIntervalMs */
  scrapeIntervalMs?: number;
  /** replaces the timer between walk batches: tests use it to change the keyspace mid-walk without sleeping */
  walkPause?: (ms: number) => Promise<void>;
}

/** ACL names of the commands per step, for the remedy of a NOPERM */
const ACL_OF: Record<string, string> = {
  'INFO ALL': '+info',
  'CONFIG GET slowlog-log-slower-than': '+config|get',
  'CLIENT LIST': '+client|list',
  'SLOWLOG GET': '+slowlog|get',
  'LATENCY LATEST': '+latency|latest',
  'MEMORY USAGE': '+memory|usage',
  SCAN: '+scan',
  PING: '+ping',
};

export function createRedisCollector(source: RedisSourceConfig, deps: CollectorDeps, options: RedisCollectorOptions = {}): RedisCollector {
  const o = source.options;
  const instance = source.name;
  // a malformed Sentinel URL is a ConfigError here, at construction: the composition root exits with it
  const sentinel = isSentinelUrl(source.url) ? parseSentinelUrl(source.url, `sources.redis["${instance}"].url`) : undefined;
  const where = `redis source "${instance}" (${sentinel ? describeSentinel(sentinel) : redactUrl(source.url)})`;
  const envName = `TENANTSCOPE_REDIS_URL_${instance.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
  const m = redisMetricsFor(deps.registry);
  const log = deps.logger.child({ redis_instance: instance });
  const I = { redis_instance: instance };

  // ioredis rejects a failed connect() with a bare "Connection is closed."; the reason (ECONNREFUSED…) came as an 'error' event
  const lastSocketError = new WeakMap<Redis, unknown>();
  // ioredis ends a failed Sentinel lookup with "All sentinels are unreachable"; what each sentinel said came as 'sentinelError' events
  const sentinelErrors = new WeakMap<Redis, string[]>();
  const connect = (role: string) => {
    const common = {
      lazyConnect: true,
      // nothing queues while disconnected and nothing retries behind our back: a tick fails fast
      // and the next tick reconnects, so a dead instance never piles up commands in memory
      enableOfflineQueue: false,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
      // the ready check runs INFO: an ACL user without INFO must still be able to walk and probe
      enableReadyCheck: false,
      connectTimeout: o.commandTimeoutMs,
      commandTimeout: o.commandTimeoutMs,
      connectionName: `${SELF_CLIENT_PREFIX}${role}`,
      // CLIENT SETINFO exists from Redis 7.2 only; older servers would log an error per connect
      disableClientInfo: true,
    } as const;
    const c = sentinel
      ? new Redis({
          ...common,
          sentinels: sentinel.sentinels,
          name: sentinel.masterName,
          db: sentinel.db,
          username: sentinel.username,
          password: sentinel.password,
          sentinelUsername: sentinel.sentinelUsername,
          sentinelPassword: sentinel.sentinelPassword,
          // the default retries the sentinel list forever inside connect(): a tick would hang instead of failing
          sentinelRetryStrategy: () => null,
          sentinelCommandTimeout: o.commandTimeoutMs,
        })
      : new Redis(source.url, common);
    if (sentinel)
      c.on('sentinelError', (err: unknown) => {
        sentinelErrors.get(c)?.push(describeError(err));
        log.debug('redis sentinel error', { role, error: describeError(err) });
      });
    // ioredis emits 'error' on every failed connect; the step that needed the connection reports it
    c.on('error', (err: unknown) => {
      lastSocketError.set(c, err);
      log.debug('redis connection error', { role, error: describeError(err) });
    });
    return c;
  };
  const conns = { poll: connect('poll'), walk: connect('walk'), canary: connect('canary') };

  const ensure = async (c: Redis): Promise<void> => {
    if (c.status === 'ready') return;
    if (c.status === 'wait' || c.status === 'end' || c.status === 'close') {
      lastSocketError.delete(c);
      sentinelErrors.set(c, []);
      try {
        await c.connect();
      } catch (err) {
        // a failed connect leaves the socket half-open in some states; start clean next time
        c.disconnect();
        throw explain(c, err);
      }
      return;
    }
    throw new Error(`connection is ${c.status}`);
  };
  /** a bare "Connection is closed" / "Stream isn't writeable" gets the reason the socket gave (ECONNREFUSED, WRONGPASS…) */
  const explained = new WeakSet<Error>();
  const explain = (c: Redis, err: unknown): unknown => {
    // ensure() explains, then step() again: an explanation quoting "Connection is closed" must not be wrapped twice
    if (err instanceof Error && explained.has(err)) return err;
    if (sentinel && /All sentinels are unreachable/i.test(describeError(err))) {
      const e = explainSentinel(c, err, sentinel);
      explained.add(e);
      return e;
    }
    const reason = lastSocketError.get(c);
    if (!(reason instanceof Error) || !/Connection is closed|Stream isn't writeable/i.test(describeError(err))) return err;
    return new Error(`${describeError(reason)} (${describeError(err)})`, { cause: reason });
  };

  /** what each sentinel said, instead of ioredis's "All sentinels are unreachable" (also said when they are reachable but know no such master) */
  const explainSentinel = (c: Redis, err: unknown, t: NonNullable<typeof sentinel>): Error => {
    const said = sentinelErrors.get(c) ?? [];
    const sentinels = t.sentinels.map(formatAddress).join(',');
    // a sentinel that does not monitor the name answers get-master-addr-by-name with nil (ioredis: "…successfully, but got an
    // invalid reply: null") or, on the SENTINEL SENTINELS ioredis sends next, "ERR No such master with that name"
    const noSuchMaster = /invalid reply: null|No such master/i;
    const unknown = said.filter((s) => noSuchMaster.test(s));
    // no { cause }: describeError would append ioredis's "All sentinels are unreachable", false when they all answered
    if (said.length > 0 && unknown.length === said.length) return new Error(`no sentinel of ${sentinels} monitors a master named "${t.masterName}"`);
    const reasons = said.map((s) => {
      const at = /sentinel (\S+)/.exec(s)?.[1] ?? '?';
      return noSuchMaster.test(s) ? `sentinel ${at} monitors no master named "${t.masterName}"` : s;
    });
    return new Error(`no sentinel of ${sentinels} gave the address of master "${t.masterName}"${reasons.length ? `: ${reasons.join('; ')}` : ` (${describeError(err)})`}`);
  };

  // ---- error reporting ----
  const failing = new Map<RedisStep, SourceError>();
  const remedyFor = (command: string, msg: string): string => {
    // auth and ACL first: their messages may contain words ("disabled", "connection") the later checks look for
    if (/WRONGPASS|NOAUTH|invalid password|invalid username/i.test(msg))
      return sentinel && /sentinel/i.test(msg)
        ? `a sentinel refused the credentials: set its password as ?sentinelPassword=… (and ?sentinelUsername=…) in the URL (or ${envName}); the userinfo of the URL is for the master`
        : 'check the user and password in the URL (or its TENANTSCOPE_REDIS_URL_* override)';
    if (sentinel && /monitors (a|no) master named/.test(msg))
      return `check the master name in sources.redis[].url (or ${envName}): SENTINEL MASTERS on a sentinel lists the names it monitors; retried every poll`;
    if (/NOPERM/i.test(msg))
      return `the ACL user may not run ${command}: grant it with ACL SETUSER <user> ${ACL_OF[command] ?? '+' + command.toLowerCase()} — the other steps keep running`;
    if (/ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|ECONNRESET|EPIPE|Connection is closed|Stream isn't writeable|connection is|connect/i.test(msg))
      return `${sentinel ? 'are the sentinels and the master they name running and reachable' : 'is the server running and reachable'}? check sources.redis[].url (or ${envName}); retried every poll`;
    if (/unknown command|unknown subcommand|disabled/i.test(msg)) return `${command} is disabled or renamed on this server (managed Redis?) — this step is skipped, the others keep running`;
    if (/timed out/i.test(msg)) return `the instance did not answer within ${o.commandTimeoutMs} ms: stalled or overloaded? raise options.commandTimeoutMs if it is merely slow`;
    if (/LOADING/.test(msg)) return 'the instance is loading its dataset; retried next poll';
    return 'retried next poll';
  };
  const fail = (step: RedisStep, command: string, err: unknown): SourceError => {
    const msg = describeError(err);
    const unreachable = /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|Connection is closed|Stream isn't writeable|All sentinels are unreachable/i.test(msg);
    const e = new SourceError(where, step, `${command}: ${msg} — ${remedyFor(command, msg)}`, { cause: err, code: unreachable ? 'TS_SOURCE_UNREACHABLE' : 'TS_SOURCE_FAILED' });
    const before = failing.get(step);
    failing.set(step, e);
    m.collectErrors.inc({ ...I, step });
    // a failure that persists is logged at debug after the first time, so a down instance does not flood the log
    if (before?.message === e.message) log.debug(e.message);
    else log.warn(e.message);
    return e;
  };
  const ok = (step: RedisStep) => {
    if (failing.delete(step)) log.info(`${where}: ${step} recovered`);
  };

  // ---- state across polls ----
  const deltas = new CounterDeltas();
  const groups = {
    health: new StaleSeries(),
    tenants: new StaleSeries(),
    clients: new StaleSeries(),
    latency: new StaleSeries(),
  };
  let lastInfo: RedisInfo | undefined;
  let lastWalk: { result: WalkResult; completedAt: number } | undefined;
  let clientsByAddr = new Map<string, ClientInfo>();
  let slowlogLastId = -1;
  let runId: string | undefined;
  let warnedCluster = false;

  const dbTenantCache = new Map<number, string | undefined>();
  const dbTenant = (db: number) => {
    if (!dbTenantCache.has(db)) dbTenantCache.set(db, deps.resolver.redisDb(db));
    return dbTenantCache.get(db);
  };

  // ---- 1. instance health ----
  const publishInfo = (info: RedisInfo) => {
    const g = groups.health;
    const run = info.fields.get('run_id');
    if (runId !== undefined && run !== undefined && run !== runId) {
      // restarted: SLOWLOG ids start again from 0
      slowlogLastId = -1;
      log.info(`${where}: instance restarted (run_id changed)`);
    }
    runId = run;
    if (info.fields.get('redis_mode') === 'cluster' && !warnedCluster) {
      // Cluster is not supported yet: this node's keys are walked and attributed, the other shards are not
      warnedCluster = true;
      log.warn(`${where}: the instance runs in cluster mode; only this node's keys are attributed — configure every primary as its own source`);
    }
    m.info.set(g.touch(m.info, { ...I, version: info.fields.get('redis_version') ?? '', mode: info.fields.get('redis_mode') ?? '', role: info.fields.get('role') ?? '' }), 1);
    const gauge = (metric: typeof m.usedMemoryBytes, field: string) => {
      const v = infoNumber(info, field);
      if (Number.isFinite(v)) metric.set(I, v);
    };
    gauge(m.usedMemoryBytes, 'used_memory');
    gauge(m.usedMemoryPeakBytes, 'used_memory_peak');
    gauge(m.maxMemoryBytes, 'maxmemory');
    gauge(m.fragmentationRatio, 'mem_fragmentation_ratio');
    gauge(m.opsPerSecond, 'instantaneous_ops_per_sec');
    gauge(m.connectedClients, 'connected_clients');
    gauge(m.blockedClients, 'blocked_clients');
    // CounterDeltas: a value that went down is CONFIG RESETSTAT or a restart, and counts as the increment
    const counter = (metric: typeof m.evictedKeys, field: string) => {
      const d = deltas.deltaFromZero(field, infoNumber(info, field));
      if (d > 0) metric.inc(I, d);
      else metric.inc(I, 0);
    };
    counter(m.commandsProcessed, 'total_commands_processed');
    counter(m.evictedKeys, 'evicted_keys');
    counter(m.expiredKeys, 'expired_keys');
    counter(m.keyspaceHits, 'keyspace_hits');
    counter(m.keyspaceMisses, 'keyspace_misses');
    counter(m.rejectedConnections, 'rejected_connections');
    for (const [cmd, s] of info.commandstats) {
      const command = commandLabel(cmd);
      const calls = deltas.deltaFromZero(`calls\u0000${cmd}`, s.calls);
      const usec = deltas.deltaFromZero(`usec\u0000${cmd}`, s.usec);
      m.commandCalls.inc({ ...I, command }, calls);
      m.commandSeconds.inc({ ...I, command }, usec / 1e6);
    }
    for (const [cmd, qs] of info.latencystats) {
      for (const [p, usec] of qs) {
        const quantile = quantileLabel(p);
        if (quantile) m.commandLatencySeconds.set(g.touch(m.commandLatencySeconds, { ...I, command: commandLabel(cmd), quantile }), usec / 1e6);
      }
    }
    for (const [db, k] of info.keyspace) m.dbKeys.set(g.touch(m.dbKeys, { ...I, db: String(db) }), k.keys);
    g.sweep((_metric, labels) => labels.redis_instance === instance);
  };

  // ---- 2. tenant keys and memory: INFO keyspace (every poll) + the last completed walk ----
  const publishTenants = () => {
    const g = groups.tenants;
    const keyspace = lastInfo?.keyspace ?? new Map<number, KeyspaceDb>();
    const totals = new Map<string, { keys: number; bytes: number | undefined; absErr: number }>();
    const add = (tenant: string, keys: number, bytes: number | undefined, absErr: number) => {
      const t = totals.get(tenant) ?? { keys: 0, bytes: 0, absErr: 0 };
      t.keys += keys;
      t.bytes = t.bytes === undefined || bytes === undefined ? undefined : t.bytes + bytes;
      t.absErr += absErr;
      totals.set(tenant, t);
    };
    const walk = lastWalk?.result;
    const memoryKnown = walk !== undefined && walk.memoryDenied === undefined;
    let sampledBytes = 0;
    let sampledKeys = 0;
    for (const db of walk?.perDb.values() ?? [])
      for (const t of db.values()) {
        sampledBytes += t.sampledBytes;
        sampledKeys += t.sampledKeys;
      }
    const fallbackMean = sampledKeys > 0 ? sampledBytes / sampledKeys : undefined;
    for (const [db, ks] of keyspace) {
      const owner = dbTenant(db);
      const walked = walk?.perDb.get(db);
      if (owner !== undefined) {
        // logical-db tenant: the key count is fresh from INFO; memory from the last walk of that db
        let bytes: number | undefined = memoryKnown ? 0 : undefined;
        let absErr = 0;
        if (walked && bytes !== undefined)
          for (const t of walked.values()) {
            const e = estimateTenant(t, fallbackMean);
            bytes = e.bytes === undefined ? undefined : (bytes ?? 0) + e.bytes;
            absErr += (e.bytes ?? 0) * e.relativeError;
          }
        add(owner, ks.keys, walked ? bytes : undefined, absErr);
      } else if (walked) {
        for (const [tenant, t] of walked) {
          const e = estimateTenant(t, fallbackMean);
          add(tenant, e.keys, memoryKnown ? e.bytes : undefined, (e.bytes ?? 0) * e.relativeError);
        }
      }
    }
    let attributed = 0;
    for (const [tenant, t] of totals) {
      const labels = { tenant, ...I };
      m.tenantKeys.set(g.touch(m.tenantKeys, labels), t.keys);
      if (t.bytes !== undefined) {
        attributed += t.bytes;
        m.tenantMemoryBytes.set(g.touch(m.tenantMemoryBytes, labels), t.bytes);
        m.tenantMemoryRelativeError.set(g.touch(m.tenantMemoryRelativeError, labels), t.bytes > 0 ? t.absErr / t.bytes : 0);
      }
    }
    const used = lastInfo ? infoNumber(lastInfo, 'used_memory') : Number.NaN;
    if (memoryKnown && Number.isFinite(used)) m.memoryOverheadBytes.set(g.touch(m.memoryOverheadBytes, I), used - attributed);
    g.sweep((_metric, labels) => labels.redis_instance === instance);
  };

  // ---- 3. clients per tenant ----
  const publishClients = (clients: ClientInfo[]) => {
    const g = groups.clients;
    const per = new Map<string, { n: number; mem: number; omem: number; idle: number; maxIdle: number }>();
    for (const c of clients) {
      if (c.name.startsWith(SELF_CLIENT_PREFIX)) continue;
      const tenant = deps.resolver.redisClient({ name: c.name || undefined, user: c.user || undefined, db: c.db });
      const t = per.get(tenant) ?? { n: 0, mem: 0, omem: 0, idle: 0, maxIdle: 0 };
      t.n++;
      t.mem += c.totMemBytes;
      t.omem += c.outputBufferBytes;
      if (c.idleSeconds >= o.idleClientSeconds) t.idle++;
      t.maxIdle = Math.max(t.maxIdle, c.idleSeconds);
      per.set(tenant, t);
    }
    for (const [tenant, t] of per) {
      const labels = { tenant, ...I };
      m.tenantClients.set(g.touch(m.tenantClients, labels), t.n);
      m.tenantClientMemoryBytes.set(g.touch(m.tenantClientMemoryBytes, labels), t.mem);
      m.tenantClientOutputBufferBytes.set(g.touch(m.tenantClientOutputBufferBytes, labels), t.omem);
      m.tenantIdleClients.set(g.touch(m.tenantIdleClients, labels), t.idle);
      m.tenantClientMaxIdleSeconds.set(g.touch(m.tenantClientMaxIdleSeconds, labels), t.maxIdle);
    }
    g.sweep((_metric, labels) => labels.redis_instance === instance);
    clientsByAddr = new Map(clients.map((c) => [c.addr, c]));
  };

  // ---- 4. slow commands per tenant ----
  const publishSlowlog = (reply: unknown) => {
    const entries = parseSlowlog(reply, '').sort((a, b) => a.id - b.id);
    for (const e of entries) {
      if (e.id <= slowlogLastId) continue; // seen in an earlier poll
      if (e.clientName.startsWith(SELF_CLIENT_PREFIX)) continue;
      const client = clientsByAddr.get(e.addr);
      let tenant = deps.resolver.redisClient({ name: e.clientName || undefined, user: client?.user || undefined, db: client?.db });
      // no client rule matched: the key the command touched (argv[1] for most commands) may name the tenant
      if (tenant === UNATTRIBUTED_TENANT && e.args[1] !== undefined) tenant = deps.resolver.redisKey(e.args[1]);
      const labels = { tenant, ...I, command: commandLabel(e.args[0]) };
      m.slowCommands.inc(labels);
      m.slowCommandSeconds.inc(labels, e.durationMicros / 1e6);
    }
    const maxId = entries.reduce((a, e) => Math.max(a, e.id), -1);
    if (maxId > slowlogLastId) slowlogLastId = maxId;
  };

  const step = async <T>(name: RedisStep, command: string, run: () => Promise<T>, conn: Redis = conns.poll): Promise<T | undefined> => {
    try {
      const v = await run();
      ok(name);
      return v;
    } catch (err) {
      fail(name, command, explain(conn, err));
      return undefined;
    }
  };

  const collect = async (): Promise<void> => {
    const t0 = performance.now();
    try {
      const c = conns.poll;
      const connected = await step('connect', 'connect', async () => {
        await ensure(c);
        return true;
      });
      if (!connected) {
        m.up.set(I, 0);
        return;
      }
      const info = await step('info', 'INFO ALL', async () => parseInfo(await c.info('all'), ''));
      m.up.set(I, info ? 1 : 0);
      if (info) {
        lastInfo = info;
        publishInfo(info);
      }
      await step('config', 'CONFIG GET slowlog-log-slower-than', async () => {
        const r = (await c.config('GET', 'slowlog-log-slower-than')) as unknown;
        const v = Array.isArray(r) ? Number(r[1]) : Number.NaN;
        if (Number.isFinite(v)) m.slowlogThresholdSeconds.set(I, v / 1e6);
      });
      await step('clients', 'CLIENT LIST', async () => publishClients(parseClientList(String(await c.client('LIST')))));
      await step('slowlog', 'SLOWLOG GET', async () => publishSlowlog(await c.slowlog('GET', o.slowlogEntries)));
      await step('latency', 'LATENCY LATEST', async () => {
        const g = groups.latency;
        for (const e of parseLatencyLatest(await c.latency('LATEST'))) {
          m.latencyEventLatestSeconds.set(g.touch(m.latencyEventLatestSeconds, { ...I, event: e.event }), e.latestMs / 1000);
          m.latencyEventMaxSeconds.set(g.touch(m.latencyEventMaxSeconds, { ...I, event: e.event }), e.maxMs / 1000);
        }
        g.sweep((_metric, labels) => labels.redis_instance === instance);
      });
      if (info) publishTenants();
    } finally {
      m.collectSeconds.set(I, (performance.now() - t0) / 1000);
    }
  };

  // ---- the walk ----
  let stopping = false;
  const pending = new Set<() => void>();
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      let immediate: NodeJS.Immediate | undefined;
      const done = () => {
        if (timer) clearTimeout(timer);
        if (immediate) clearImmediate(immediate);
        pending.delete(done);
        resolve();
      };
      if (ms > 0) {
        timer = setTimeout(done, ms);
        timer.unref();
      } else immediate = setImmediate(done); // a zero pause still yields to the poll and the canary
      pending.add(done);
    });

  const walkCommands = (c: Redis): WalkCommands => ({
    select: async (db) => {
      await c.select(db);
    },
    scan: async (cursor, count) => {
      const [next, keys] = await c.scan(cursor, 'COUNT', count);
      return { cursor: next, keys };
    },
    memoryUsage: async (keys) => {
      const p = c.pipeline();
      for (const k of keys) p.call('MEMORY', 'USAGE', k);
      const res = (await p.exec()) ?? [];
      return keys.map((_k, i) => {
        const r = res[i];
        if (!r) return new Error('no reply in pipeline');
        const [err, v] = r;
        if (err) return err;
        return v === null || v === undefined ? null : Number(v);
      });
    },
  });

  const runWalk = async (): Promise<void> => {
    const c = conns.walk;
    const started = performance.now();
    let command = 'connect';
    try {
      await ensure(c);
      command = 'INFO keyspace';
      const dbs = [...parseInfo(await c.info('keyspace'), '').keyspace.keys()].sort((a, b) => a - b);
      command = 'SCAN';
      let lastCommand = 'SCAN';
      const cmds = walkCommands(c);
      const traced: WalkCommands = {
        select: (db) => ((lastCommand = 'SELECT'), cmds.select(db)),
        scan: (cur, n) => ((lastCommand = 'SCAN'), cmds.scan(cur, n)),
        memoryUsage: (keys) => ((lastCommand = 'MEMORY USAGE'), cmds.memoryUsage(keys)),
      };
      m.walkProgressKeys.set(I, 0);
      const result = await walkKeyspace(traced, dbs, {
        scanCount: o.scanCount,
        sampleRatio: o.sampleRatio,
        dutyCycle: o.walkDutyCycle,
        busyMs: o.walkBusyMs,
        maxPauseMs: o.walkMaxPauseMs,
        attribute: (db, key) => dbTenant(db) ?? deps.resolver.redisKey(key),
        pause: options.walkPause ?? pause,
        elapsedMs: () => performance.now(),
        stopped: () => stopping,
        onBatch: ({ keysSeen, newKeys }) => {
          m.walkKeysScanned.inc(I, newKeys);
          m.walkProgressKeys.set(I, keysSeen);
        },
      }).catch((err: unknown) => {
        command = lastCommand;
        throw err;
      });
      if (!result) return; // stopping
      lastWalk = { result, completedAt: deps.clock.now() };
      m.walkLastKeys.set(I, result.keysSeen);
      m.walkLastSeconds.set(I, (performance.now() - started) / 1000);
      m.walkLastCompletedSeconds.set(I, lastWalk.completedAt / 1000);
      if (result.memoryDenied) fail('walk', 'MEMORY USAGE', result.memoryDenied);
      else ok('walk');
      log.debug('walk completed', { keys: result.keysSeen, batches: result.batches, duplicates: result.duplicatesSkipped, busyBatches: result.busyBatches });
      if (lastInfo) publishTenants();
    } catch (err) {
      fail('walk', command, explain(c, err));
    }
  };

  const probe = async (): Promise<void> => {
    const c = conns.canary;
    const ensured = await step(
      'canary',
      'connect',
      async () => {
        await ensure(c);
        return true;
      },
      c,
    );
    if (!ensured) return;
    const t0 = performance.now();
    try {
      await c.ping();
      m.canarySeconds.observe(I, (performance.now() - t0) / 1000);
      ok('canary');
    } catch (err) {
      // a probe that timed out is a stall at least that long: it lands in the top buckets
      if (/timed out/i.test(describeError(err))) m.canarySeconds.observe(I, (performance.now() - t0) / 1000);
      fail('canary', 'PING', explain(c, err));
    }
  };

  const loops: Loop[] = [
    createLoop({ name: `redis ${instance} poll`, intervalMs: options.scrapeIntervalMs ?? 15_000, tick: collect, logger: log, immediate: true }),
    createLoop({ name: `redis ${instance} walk`, intervalMs: o.walkIntervalMs, tick: runWalk, logger: log, immediate: true }),
    createLoop({ name: `redis ${instance} canary`, intervalMs: o.canaryIntervalMs, tick: probe, logger: log, immediate: true }),
  ];
  const walkLoop = loops[1]!;
  let stopped = false;

  return {
    name: `redis/${instance}`,
    health: () => {
      // a missing permission on one step degrades, a lost connection is not ready
      const down = failing.get('connect') ?? failing.get('info');
      return down ? { ok: false, detail: down.message } : { ok: true, ...(failing.size ? { detail: [...failing.values()].map((e) => e.message).join('; ') } : {}) };
    },
    async start() {
      stopping = false;
      for (const l of loops) l.start();
    },
    collect,
    walk: () => walkLoop.runOnce(),
    probe,
    errors: () => failing,
    async stop() {
      if (stopped) return;
      stopped = true;
      stopping = true;
      for (const done of [...pending]) done();
      await Promise.all(loops.map((l) => l.stop()));
      for (const c of Object.values(conns)) c.disconnect();
    },
  };
}
