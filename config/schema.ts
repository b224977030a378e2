/**
 * The configuration schema: every key has a description and, where it has one, a default.
 * This file is the single source of the README's configuration reference (scripts/gen-docs.ts).
 */
import { z } from 'zod';

export const UNATTRIBUTED_TENANT = '_unattributed';

const TENANT_ID = /^[a-z0-9][a-z0-9_.-]{0,62}$/;

function checkRegex(value: string, ctx: z.core.$RefinementCtx<string>, needTenantGroup: boolean): void {
  let re: RegExp;
  try {
    re = new RegExp(value);
  } catch (err) {
    ctx.addIssue({
      code: 'custom',
      message: `invalid regular expression ${JSON.stringify(value)}: ${(err as Error).message} — fix the pattern (in YAML double quotes a backslash is written \\\\)`,
    });
    return;
  }
  if (needTenantGroup && !/\(\?<tenant>/.test(re.source)) {
    ctx.addIssue({
      code: 'custom',
      message: `regular expression ${JSON.stringify(value)} has no named group "tenant" — wrap the part that is the tenant id in (?<tenant>...)`,
    });
  }
}

/** A regex whose named group `tenant` is the tenant id. */
const tenantPattern = (description: string) =>
  z
    .string()
    .min(1)
    .superRefine((v, ctx) => checkRegex(v, ctx, true))
    .describe(description);

const tenantId = z.string().superRefine((v, ctx) => {
  if (v === UNATTRIBUTED_TENANT) ctx.addIssue({ code: 'custom', message: `"${UNATTRIBUTED_TENANT}" is reserved for resources no rule matches — choose another id` });
  else if (!TENANT_ID.test(v))
    ctx.addIssue({ code: 'custom', message: `a tenant id is 1-63 characters of a-z, 0-9, "_", "-", "." starting with a letter or digit, got ${JSON.stringify(v)}` });
});

/** One rule or an ordered list of rules; the first that matches wins. */
const oneOrMany = <T extends z.ZodType>(rule: T) =>
  z.union([rule, z.array(rule)]).transform((v) => (Array.isArray(v) ? v : [v]) as z.output<T>[]);

const namespaceRule = z
  .strictObject({
    label: z.string().min(1).optional().describe('namespace label whose value is the tenant id, e.g. tenantscope.io/tenant; checked before `name`'),
    name: tenantPattern('regex on the namespace name with a named group `tenant`, e.g. ^tenant-(?<tenant>[a-z0-9-]+)$').optional(),
  })
  .describe('how a Kubernetes namespace maps to a tenant');

const postgresRule = z
  .strictObject({
    databases: z.record(z.string(), tenantId).optional().describe('explicit database name → tenant id map; checked before `database`'),
    database: tenantPattern('regex on the database name (database per tenant), e.g. ^(?<tenant>[a-z0-9]+)_prod$').optional(),
    schema: tenantPattern('regex on the schema name, for clusters with a schema per tenant').optional(),
    role: tenantPattern('regex on the role (user) name; attributes sessions in schema-per-tenant clusters').optional(),
  })
  .describe('how a PostgreSQL database, schema or role maps to a tenant');

const redisRule = z
  .strictObject({
    keyPrefix: tenantPattern('regex on the key name, e.g. ^(?<tenant>[a-z0-9]+):').optional(),
    db: z.record(z.string().regex(/^\d+$/, 'a logical db is a number 0-15…'), tenantId).optional().describe('logical database number → tenant id'),
    clientName: tenantPattern('regex on CLIENT SETNAME names, e.g. ^(?<tenant>[a-z0-9]+)-').optional(),
    user: tenantPattern('regex on the ACL user of a connection').optional(),
  })
  .describe('how Redis keys, logical databases and clients map to a tenant');

const traefikRule = z
  .strictObject({
    router: tenantPattern('regex on the router name (provider suffix such as @kubernetescrd included)').optional(),
    service: tenantPattern('regex on the service name, e.g. ^tenant-(?<tenant>[a-z0-9]+)-odoo').optional(),
    host: tenantPattern('regex on the request host, e.g. ^(?<tenant>[a-z0-9]+)\\.erp\\.example\\.com$').optional(),
  })
  .describe('how a Traefik router, service or request host maps to a tenant');

const band = z.enum(['low', 'medium', 'high']);
const tier = z.enum(['shared', 'dedicated']);

const tenant = z
  .strictObject({
    id: tenantId.describe('tenant id as used in every metric label'),
    name: z.string().optional().describe('display name'),
    plan: z
      .strictObject({
        name: z.string().min(1).describe('plan name'),
        monthlyPrice: z.number().nonnegative().describe('what the tenant pays per month'),
        currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as EUR or USD').describe('ISO 4217 currency of monthlyPrice'),
      })
      .optional()
      .describe('commercial plan, used by the profitability report'),
    tier: tier.default('shared').describe('placement: shared capacity or dedicated'),
    band: band.optional().describe('declared workload band; the analyzer flags disagreement with the measured band'),
  })
  .describe('a tenant of the platform');

const pgSource = z
  .strictObject({
    name: z.string().regex(/^[a-zA-Z0-9_.-]+$/, 'letters, digits, "_", "-", "."').describe('cluster name, used as the pg_cluster label'),
    url: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'a postgres:// or postgresql:// URL')
      .describe('connection URL of a role with pg_monitor; TENANTSCOPE_PG_URL_<NAME> overrides it'),
    options: z
      .strictObject({
        statementTimeoutMs: z.number().int().positive().default(2000).describe('statement_timeout of every poll'),
        activitySampleIntervalMs: z.number().int().positive().default(1000).describe('how often pg_stat_activity is sampled for wait-event load'),
        sizeIntervalMs: z.number().int().positive().default(300_000).describe('how often database sizes are read'),
        queueJobs: z.boolean().default(true).describe('read Odoo queue_job and ir_cron tables in tenant databases'),
        maxDatabaseConnections: z.number().int().positive().default(4).describe('pool size for per-database polls (Odoo queues)'),
        topStatementsPerTenant: z.number().int().nonnegative().default(0).describe('opt-in per-query series: top N statements per tenant (0 = none)'),
        pollIntervalMs: z.number().int().positive().default(15_000).describe('how often the cluster-wide views are polled when the collector runs on its own'),
        queueIntervalMs: z.number().int().positive().default(60_000).describe('how often Odoo queue_job and ir_cron tables are read in tenant databases'),
        connectTimeoutMs: z.number().int().positive().default(5000).describe('timeout of opening one connection'),
        cronGraceSeconds: z.number().int().nonnegative().default(120).describe('an active ir_cron whose nextcall is older than this counts as late'),
        schemaTenantDatabases: z
          .array(z.string().min(1))
          .default([])
          .describe('databases that hold one schema per tenant: their table statistics are attributed by schema and their sessions by role (tenancy.rules.postgres schema/role)'),
      })
      .prefault({})
      .describe('collector options for this cluster'),
  })
  .describe('a PostgreSQL cluster to watch');

const redisSource = z
  .strictObject({
    name: z.string().regex(/^[a-zA-Z0-9_.-]+$/, 'letters, digits, "_", "-", "."').describe('instance name, used as the redis_instance label'),
    url: z
      .string()
      .regex(/^(rediss?|redis\+sentinel):\/\//, 'a redis://, rediss:// or redis+sentinel:// URL')
      // the shape of a Sentinel URL, as a refinement: a failed regex echoes the value, and this one may hold a
      // password; collector/redis/sentinel.ts parses it and names what exactly is wrong (redacted) at start
      .refine((v) => !v.startsWith('redis+sentinel://') || /^redis\+sentinel:\/\/([^@]*@)?[^/@?#]+\/[^/?#@\s]+(\/\d*)?\/?(\?[^#]*)?$/.test(v), {
        message: 'a Sentinel URL reads redis+sentinel://[user:password@]host1:26379[,host2:26379…]/<masterName>[/<db>][?sentinelPassword=…]',
      })
      .describe(
        'connection URL: redis://[user:password@]host:port[/db], rediss:// for TLS, or behind Sentinel redis+sentinel://[user:password@]host1:26379[,host2:26379…]/<masterName>[/<db>][?sentinelPassword=…] (the userinfo authenticates to the master, sentinelUsername/sentinelPassword to the sentinels); TENANTSCOPE_REDIS_URL_<NAME> overrides it',
      ),
    options: z
      .strictObject({
        walkIntervalMs: z.number().int().positive().default(300_000).describe('how often the key-prefix walk restarts'),
        scanCount: z.number().int().positive().max(10_000).default(200).describe('COUNT of each SCAN step'),
        sampleRatio: z
          .number()
          .positive()
          .max(1)
          .default(1)
          .describe(
            'share of keys whose MEMORY USAGE is read (1 = exact); below 1 key counts stay exact and tenant memory is estimated, its 95% relative error exported as tenantscope_redis_tenant_memory_relative_error',
          ),
        canaryIntervalMs: z.number().int().positive().default(2000).describe('how often the stall probe runs'),
        walkDutyCycle: z
          .number()
          .positive()
          .max(1)
          .default(0.1)
          .describe('share of wall time the key walk may keep the instance busy: after a batch that took d ms it pauses d × (1/dutyCycle − 1) ms'),
        walkBusyMs: z
          .number()
          .positive()
          .default(5)
          .describe('a walk batch slower than this means the instance is busy: the pause doubles (up to walkMaxPauseMs) until batches are fast again'),
        walkMaxPauseMs: z.number().int().positive().default(2000).describe('longest pause between two walk batches'),
        slowlogEntries: z.number().int().positive().max(10_000).default(128).describe('SLOWLOG GET count per poll; set it ≥ slowlog-max-len to miss nothing between polls'),
        idleClientSeconds: z.number().int().positive().default(300).describe('a connection idle longer than this counts as hoarded'),
        commandTimeoutMs: z.number().int().positive().default(5000).describe('timeout of every command the collector sends'),
      })
      .prefault({})
      .describe('collector options for this instance'),
  })
  .describe('a Redis instance to watch');

const traefikSource = z
  .strictObject({
    name: z.string().regex(/^[a-zA-Z0-9_.-]+$/, 'letters, digits, "_", "-", "."').describe('ingress name, used as the ingress label'),
    metricsUrl: z.url().optional().describe("URL of Traefik's Prometheus endpoint"),
    accessLog: z.string().min(1).optional().describe('path of the JSON access log to tail (Traefik accessLog.format: json); when set it feeds requests, auth failures, bytes and the fine latency histogram'),
    options: z
      .strictObject({
        scrapeIntervalMs: z.number().int().positive().default(15_000).describe('how often metricsUrl is scraped when the collector runs on its own'),
        scrapeTimeoutMs: z.number().int().positive().default(5000).describe('timeout of one scrape of metricsUrl'),
        logPollIntervalMs: z.number().int().positive().default(1000).describe('how often the access log is read for new lines'),
        logFromStart: z.boolean().default(false).describe('read an access log that exists at start from its beginning instead of its end (a file that appears later is always read from the beginning)'),
        logMaxBytesPerPoll: z.number().int().positive().default(8 * 2 ** 20).describe('most bytes read from the access log per poll; the rest is read on the next polls'),
        logTenantIdleMs: z.number().int().positive().default(3_600_000).describe('a tenant with no access-log line for this long has its log-fed series removed'),
      })
      .prefault({})
      .describe('collector options for this ingress'),
  })
  .refine((s) => s.metricsUrl !== undefined || s.accessLog !== undefined, { message: 'set metricsUrl, accessLog or both' })
  .describe('a Traefik ingress to watch');

const kubernetesSource = z
  .strictObject({
    kubeconfig: z.string().optional().describe('kubeconfig path (~ is expanded); absent with inCluster false = $KUBECONFIG or ~/.kube/config'),
    context: z.string().optional().describe('kubeconfig context to use'),
    inCluster: z.boolean().default(false).describe('use the pod service account'),
    backupLabel: z.string().default('tenantscope.io/backup').describe('label selecting backup Jobs/CronJobs in tenant namespaces'),
    nodePoolLabels: z
      .array(z.string())
      .default(['cloud.google.com/gke-nodepool', 'eks.amazonaws.com/nodegroup', 'agentpool', 'node-pool'])
      .describe('node labels that name the node pool, first present wins'),
    metricsIntervalMs: z
      .number()
      .int()
      .positive()
      .default(15_000)
      .describe('how often metrics.k8s.io usage is read and the tenant families are recomputed (objects themselves are watched, not polled)'),
    usageStaleAfterMs: z
      .number()
      .int()
      .positive()
      .default(300_000)
      .describe(
        'how long the usage series keep their last values while metrics.k8s.io reads fail (at least two metricsIntervalMs); after it they are removed, so a dashboard shows no data rather than an old value as current (default: Prometheus\' 5-minute lookback)',
      ),
  })
  .describe('the Kubernetes API to watch');

const prometheusSource = z
  .strictObject({
    url: z.url().describe('base URL of a Prometheus-compatible query API (Prometheus, Thanos, Mimir, VictoriaMetrics)'),
    orgId: z.string().optional().describe('sent as X-Scope-OrgID (Mimir, Cortex, Loki-style multi-tenancy)'),
    headers: z.record(z.string(), z.string()).default({}).describe('extra HTTP headers, e.g. Authorization'),
    timeoutMs: z.number().int().positive().default(30_000).describe('timeout of one query'),
  })
  .describe('a Prometheus-compatible query API the analyzer reads');

export const configSchema = z
  .strictObject({
    server: z
      .strictObject({
        listen: z
          .string()
          .regex(/^(\[[0-9a-fA-F:]+\]|[a-zA-Z0-9.-]+):\d{1,5}$/, 'host:port, e.g. 127.0.0.1:9464')
          .default('127.0.0.1:9464')
          .describe('address of /metrics, /healthz and the API'),
      })
      .prefault({})
      .describe('the HTTP server'),
    tenancy: z
      .strictObject({
        tenants: z.array(tenant).default([]).describe('declared tenants; resources may also name tenants not listed here (see discover)'),
        discover: z.boolean().default(true).describe('accept tenant ids that rules extract but tenants[] does not list; false sends them to _unattributed'),
        rules: z
          .strictObject({
            namespace: oneOrMany(namespaceRule).optional(),
            postgres: oneOrMany(postgresRule).optional(),
            redis: oneOrMany(redisRule).optional(),
            traefik: oneOrMany(traefikRule).optional(),
          })
          .prefault({})
          .describe('how resources map to tenants; each kind takes one rule or a list, first match wins'),
      })
      .prefault({})
      .superRefine((t, ctx) => {
        const seen = new Map<string, number>();
        t.tenants.forEach((tn, i) => {
          const first = seen.get(tn.id);
          if (first !== undefined) {
            ctx.addIssue({ code: 'custom', path: ['tenants', i, 'id'], message: `duplicate tenant id "${tn.id}" (first at tenancy.tenants[${first}]) — each id must be unique` });
          } else seen.set(tn.id, i);
        });
      })
      .describe('tenants and the rules that attribute resources to them'),
    sources: z
      .strictObject({
        postgres: z.array(pgSource).default([]).describe('PostgreSQL clusters'),
        redis: z.array(redisSource).default([]).describe('Redis instances'),
        traefik: z.array(traefikSource).default([]).describe('Traefik ingresses'),
        kubernetes: kubernetesSource.optional(),
        prometheus: prometheusSource.optional(),
      })
      .prefault({})
      .superRefine((s, ctx) => {
        for (const kind of ['postgres', 'redis', 'traefik'] as const) {
          const seen = new Set<string>();
          s[kind].forEach((src, i) => {
            if (seen.has(src.name)) ctx.addIssue({ code: 'custom', path: [kind, i, 'name'], message: `duplicate source name "${src.name}" — names label metrics and must be unique` });
            seen.add(src.name);
          });
        }
      })
      .describe('what to watch; with none, `run` uses the built-in simulated fleet'),
    collector: z
      .strictObject({
        scrapeIntervalMs: z.number().int().positive().default(15_000).describe('how often collectors poll their sources'),
        maxSeriesPerTenant: z.number().int().positive().default(20_000).describe('series limit per tenant; overflow is counted, not silently dropped'),
      })
      .prefault({})
      .describe('collection'),
    analyzer: z
      .strictObject({
        tickMs: z.number().int().positive().default(15_000).describe('how often the analysis runs'),
        retentionHours: z.number().positive().default(24 * 8).describe('how long the embedded signal store keeps samples'),
      })
      .prefault({})
      .describe('analysis'),
    storage: z
      .strictObject({
        url: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// URL').optional().describe('PostgreSQL for findings, bands, reports and audit; absent = embedded PGlite; TENANTSCOPE_STORAGE_URL overrides'),
        dataDir: z.string().default('.tenantscope/data').describe('directory of the embedded store'),
      })
      .prefault({})
      .describe('where state is kept'),
    alertmanager: z
      .strictObject({
        url: z.url().optional().describe('Alertmanager base URL; findings are posted to /api/v2/alerts'),
      })
      .prefault({})
      .describe('alert delivery'),
    simulation: z
      .strictObject({
        enabled: z.enum(['auto', 'on', 'off']).default('auto').describe('auto = simulate when no source is configured'),
        tenants: z.number().int().min(2).max(5000).default(36).describe('simulated tenants'),
        seed: z.number().int().default(42).describe('random seed, so a run can be reproduced'),
      })
      .prefault({})
      .describe('the built-in simulated fleet'),
    costs: z
      .strictObject({
        currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code').default('EUR').describe('currency of every price below'),
        cpuCoreHour: z.number().nonnegative().default(0.04).describe('price of one node CPU core-hour'),
        memoryGiBHour: z.number().nonnegative().default(0.005).describe('price of one GiB-hour of node memory'),
        postgresMonthly: z.record(z.string(), z.number().nonnegative()).default({}).describe('monthly cost of each shared PostgreSQL cluster, by source name'),
        redisMonthly: z.record(z.string(), z.number().nonnegative()).default({}).describe('monthly cost of each shared Redis, by source name'),
        ingressMonthly: z.record(z.string(), z.number().nonnegative()).default({}).describe('monthly cost of each ingress, by source name'),
      })
      .prefault({})
      .describe('prices for the rightsizing and profitability reports'),
  })
  .describe('tenantscope configuration (tenantscope.yaml)');

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
export type TenantConfig = Config['tenancy']['tenants'][number];
export type TenancyRules = Config['tenancy']['rules'];
export type PostgresSourceConfig = Config['sources']['postgres'][number];
export type RedisSourceConfig = Config['sources']['redis'][number];
export type TraefikSourceConfig = Config['sources']['traefik'][number];
export type KubernetesSourceConfig = NonNullable<Config['sources']['kubernetes']>;
export type PrometheusSourceConfig = NonNullable<Config['sources']['prometheus']>;
export type Band = z.output<typeof band>;
export type Tier = z.output<typeof tier>;
