/**
 * `npx tsx bench/run.ts collector`: the collector process itself at a 15 s interval, as it runs in a
 * cluster — RSS and CPU of `tenantscope collect` (a child process of its own, so nothing of the
 * bench is counted) against:
 * - the Kubernetes API stand-in (test/standins/kube-apiserver.ts) holding 1,000 tenant namespaces,
 *   10,000 pods on 100 nodes, a ResourceQuota and a backup CronJob per tenant, and metrics.k8s.io
 *   usage for every pod and node; a steady churn of pod updates arrives on the watches;
 * - the Traefik stand-in (test/standins/traefik.ts) with 1,000 tenant services, and its JSON access
 *   log receiving a steady stream of lines.
 * Its /metrics is scraped every 15 s as Prometheus would. After warm-up, over ≥ 8 intervals: VmRSS
 * every second (median, max), VmHWM, (utime+stime) ÷ wall → mCPU, and the /metrics response time and
 * size. Targets (issue 5): RSS ≤ 200 MB, ≤ 100 mCPU average.
 */
import { spawn, spawnSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { KubeApiServer } from '../test/standins/kube-apiserver.js';
import { AccessLogWriter, startTraefikStandin, syntheticEntry, type AccessLogEntry, type StandinService, type TraefikStandin } from '../test/standins/traefik.js';
import { freePort } from '../test/support/stack.js';
import { median, processCpuSeconds, table, type BenchContext, type BenchSection } from './harness.js';
import { CLIENT_OUTFILE } from '../scripts/bundle.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const INTERVAL_MS = 15_000;
const MiB = 2 ** 20;
const TARGET_RSS_MB = 200;
const TARGET_MCPU = 100;

interface Sizes {
  tenants: number;
  podsPerTenant: number;
  nodes: number;
  warmupIntervals: number;
  intervals: number;
  /** access-log lines per second written while the collector runs */
  logLinesPerSecond: number;
  /** pod MODIFIED events per second on the watch (status updates), plus one OOM kill every 10 s */
  podUpdatesPerSecond: number;
}

const FULL: Sizes = { tenants: 1000, podsPerTenant: 10, nodes: 100, warmupIntervals: 2, intervals: 8, logLinesPerSecond: 200, podUpdatesPerSecond: 2 };
const QUICK: Sizes = { tenants: 100, podsPerTenant: 10, nodes: 10, warmupIntervals: 1, intervals: 2, logLinesPerSecond: 50, podUpdatesPerSecond: 1 };

const tname = (i: number) => `t${String(i).padStart(4, '0')}`;
const nodeName = (i: number) => `node-${String(i).padStart(3, '0')}`;
const suffix = (i: number) => (i * 7919 + 12345).toString(36).slice(-5).padStart(5, 'x');
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** the cluster: namespaces, nodes, pods with requests/limits, quotas, backups and metrics.k8s.io usage */
function seedCluster(api: KubeApiServer, s: Sizes): { pods: { namespace: string; name: string }[] } {
  for (let n = 0; n < s.nodes; n++) {
    api.addNode(nodeName(n), { pool: `pool-${n % 4}`, taints: n % 10 === 0 ? [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] : [] });
    api.setNodeMetrics(nodeName(n), { cpu: `${1200 + n}m`, memory: `${6000 + n}Mi` });
  }
  api.addNamespace('kube-system');
  const pods: { namespace: string; name: string }[] = [];
  for (let t = 0; t < s.tenants; t++) {
    const ns = `tenant-${tname(t)}`;
    api.addNamespace(ns, { 'app.kubernetes.io/part-of': 'odoo' });
    api.addResourceQuota(ns, 'compute', { 'requests.cpu': '8', 'requests.memory': '16Gi', pods: '20' }, { 'requests.cpu': '5', 'requests.memory': '10Gi', pods: String(s.podsPerTenant) });
    api.addBackupCronJob(ns, 'pg-backup', { label: 'tenantscope.io/backup', lastSuccessfulTime: new Date(Date.UTC(2026, 10, 22, 2)), lastScheduleTime: new Date(Date.UTC(2026, 10, 22, 2)) });
    for (let p = 0; p < s.podsPerTenant; p++) {
      // 8 web pods and 2 cron workers per tenant, spread over 3 nodes
      const workload = p < 8 ? 'odoo-7d9f8' : 'odoo-cron-5c4b7';
      const name = `${workload}-${suffix(t * s.podsPerTenant + p)}`;
      const node = nodeName((t * 7 + (p % 3) * 31) % s.nodes);
      api.addPod(ns, name, {
        node,
        containers: [
          { name: 'odoo', requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '1', memory: '2Gi' } },
          { name: 'nginx', requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '100m', memory: '128Mi' } },
        ],
      });
      pods.push({ namespace: ns, name });
    }
  }
  return { pods };
}

function setUsage(api: KubeApiServer, pods: readonly { namespace: string; name: string }[], round: number): void {
  pods.forEach((p, i) =>
    api.setPodMetrics(p.namespace, p.name, [
      { name: 'odoo', cpu: `${(i * 37 + round * 11) % 900 + 10}m`, memory: `${(i * 13 + round) % 1500 + 200}Mi` },
      { name: 'nginx', cpu: `${(i + round) % 20 + 1}m`, memory: '21Mi' },
    ]),
  );
}

/** the ingress: one service per tenant, counters advancing on every scrape */
function services(s: Sizes): StandinService[] {
  return Array.from({ length: s.tenants }, (_, t) => ({
    service: `tenant-${tname(t)}-odoo-8069@kubernetes`,
    perScrape: { '200': 40 + (t % 17), '302': 3, '404': 1, '500': t % 50 === 0 ? 2 : 0 },
    latencySeconds: 0.05 + (t % 9) * 0.1,
    openConnections: t % 5,
    requestBytes: 800,
    responseBytes: 24_000,
  }));
}

/** `node dist/cli/main.js` after a clean build (`npm run build`), else the sources through tsx (reported in the section) */
function command(ctx: BenchContext): { argv: string[]; how: string; built: boolean } {
  ctx.progress('building: npm run build');
  const t0 = performance.now();
  const r = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, encoding: 'utf8' });
  const main = join(ROOT, 'dist', 'cli', 'main.js');
  if (r.status === 0 && existsSync(main)) {
    ctx.progress(`built in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    return { argv: [process.execPath, main], how: '`node dist/cli/main.js` (built by `npm run build` at the start of the bench: tsc, then the Kubernetes client bundle)', built: true };
  }
  const why = `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n').find((l) => l.includes('error')) ?? `exit ${r.status}`;
  ctx.progress(`build not usable (${why}); running the sources through tsx`);
  return { argv: [process.execPath, '--import', 'tsx', join(ROOT, 'cli', 'main.ts')], how: `\`node --import tsx cli/main.ts\` — the build was not usable (${why.trim()}), so the figures include tsx's loader`, built: false };
}

interface ProcSample {
  rssKiB: number;
  anonKiB: number;
  hwmKiB: number;
}

function procStatus(pid: number): ProcSample {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { rssKiB: kib('VmRSS'), anonKiB: kib('RssAnon'), hwmKiB: kib('VmHWM') };
}

interface Scrape {
  ms: number;
  bytes: number;
  samples: number;
  text: string;
}

async function scrape(url: string): Promise<Scrape> {
  const t0 = performance.now();
  const res = await fetch(`${url}/metrics`);
  const text = await res.text();
  const ms = performance.now() - t0;
  if (!res.ok) throw new Error(`/metrics answered ${res.status}: ${text.slice(0, 200)}`);
  let samples = 0;
  for (let i = 0; i < text.length; ) {
    const nl = text.indexOf('\n', i);
    if (text.charCodeAt(i) !== 35 /* # */ && nl !== i) samples++;
    i = nl < 0 ? text.length : nl + 1;
  }
  return { ms, bytes: Buffer.byteLength(text), samples, text };
}

const gauge = (text: string, name: string): number | undefined => {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
};

export interface Load {
  /** the collector's config (JSON, read as YAML) and the URL its /metrics will answer on */
  configPath: string;
  url: string;
  stop(): Promise<void>;
}

/**
 * The stand-ins and their steady load (exported for diagnosis: start it from a script and run the
 * collector by hand with profiling flags).
 */
export async function startLoad(s: Sizes, dir: string): Promise<Load> {
  const api = new KubeApiServer();
  let traefik: TraefikStandin | undefined;
  const timers: NodeJS.Timeout[] = [];
  let log: AccessLogWriter | undefined;
  const stop = async () => {
    for (const t of timers) clearInterval(t);
    log?.close();
    await traefik?.stop();
    await api.stop().catch(() => undefined);
  };
  try {
    const { pods } = seedCluster(api, s);
    setUsage(api, pods, 0);
    await api.start();
    api.bookmarkEvery(60_000);
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, api.kubeconfig());
    traefik = await startTraefikStandin(services(s));
    const accessLog = join(dir, 'access.json');
    log = new AccessLogWriter(accessLog);

    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const config = {
      server: { listen: `127.0.0.1:${port}` },
      tenancy: {
        rules: {
          namespace: { name: '^tenant-(?<tenant>[a-z0-9]+)$' },
          traefik: [{ service: '^tenant-(?<tenant>[a-z0-9]+)-odoo' }, { router: '^tenant-(?<tenant>[a-z0-9]+)-odoo' }, { host: '^(?<tenant>[a-z0-9]+)\\.erp\\.example\\.com$' }],
        },
      },
      sources: {
        kubernetes: { kubeconfig, metricsIntervalMs: INTERVAL_MS },
        traefik: [{ name: 'edge', metricsUrl: traefik.url, accessLog, options: { scrapeIntervalMs: INTERVAL_MS } }],
      },
      collector: { scrapeIntervalMs: INTERVAL_MS },
      simulation: { enabled: 'off' },
    };
    // JSON is YAML: the collector reads it through its ordinary config loader
    const configPath = join(dir, 'tenantscope.yaml');
    writeFileSync(configPath, JSON.stringify(config, null, 2));

    // the steady load, started before the collector so its first tick already sees it
    let logLine = 0;
    timers.push(
      setInterval(() => {
        const batch: AccessLogEntry[] = [];
        for (let i = 0; i < s.logLinesPerSecond / 10; i++, logLine++) batch.push(syntheticEntry(logLine, tname((logLine * 7) % s.tenants)));
        log!.write(batch);
      }, 100),
    );
    let churn = 0;
    timers.push(
      setInterval(() => {
        for (let i = 0; i < s.podUpdatesPerSecond; i++) {
          const p = pods[(churn * 7919 + i * 104_729) % pods.length]!;
          api.modify('pods', p.name, p.namespace, (o) => {
            o.metadata.annotations = { ...o.metadata.annotations, 'bench/heartbeat': String(churn) };
            o.status.containerStatuses[1].ready = churn % 2 === 0;
          });
        }
        if (churn % 10 === 0) {
          const p = pods[(churn * 31) % pods.length]!;
          api.oomKill(p.namespace, p.name, 'odoo');
        }
        churn++;
      }, 1000),
    );
    let usageRound = 0;
    // metrics-server refreshes usage about every 15 s
    timers.push(setInterval(() => setUsage(api, pods, ++usageRound), INTERVAL_MS));
    return { configPath, url, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

export const SIZES = { full: FULL, quick: QUICK };

interface Variant {
  label: string;
  /** environment the collector process gets on top of the bench's (none = Node's and glibc's defaults) */
  env: Record<string, string>;
  /** variables taken out of the bench's own environment first: every one the Deployment sets */
  unset: readonly string[];
}

interface RunResult {
  rssMed: number;
  rssMax: number;
  hwm: number;
  anonMed: number;
  mcpu: number;
  intervalCpu: number[];
  scrapeMs: number[];
  last: Scrape;
  readyS: number;
  startCpuS: number;
}

/** the environment the shipped Deployment gives the collector (deploy/deployment.yaml): NODE_OPTIONS and glibc malloc's MALLOC_* settings */
function deployedEnv(): Record<string, string> {
  type Doc = { kind?: string; spec?: { template?: { spec?: { containers?: { env?: { name: string; value?: string }[] }[] } } } };
  const docs = parseAllDocuments(readFileSync(join(ROOT, 'deploy', 'deployment.yaml'), 'utf8')).map((d) => d.toJS() as Doc | null);
  const deployment = docs.find((d) => d?.kind === 'Deployment');
  const env = deployment?.spec?.template?.spec?.containers?.[0]?.env ?? [];
  return Object.fromEntries(env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]));
}

/** one collector process against the running load: ready, warm-up, measured intervals */
async function runCollector(ctx: BenchContext, s: Sizes, argv: string[], load: Load, dir: string, v: Variant): Promise<RunResult> {
  const { configPath, url } = load;
  let stderrTail = '';
  const started = performance.now();
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'production' };
  // the defaults run gets none of the Deployment's variables, whatever the bench's own environment holds
  for (const k of v.unset) delete env[k];
  Object.assign(env, v.env);
  const proc = spawn(argv[0]!, [...argv.slice(1), 'collect', '--config', configPath], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], env });
  proc.stderr!.on('data', (b: Buffer) => {
    stderrTail = (stderrTail + b.toString('utf8')).slice(-4000);
  });
  let exited: string | undefined;
  proc.on('exit', (code, sig) => (exited = `exit ${code ?? sig}`));
  const pid = proc.pid!;
  try {
    // ready = both sources up and every tenant's pods exported
    ctx.progress(`${v.label}: waiting for the collector to list, watch and export every tenant`);
    let ready: Scrape | undefined;
    const expectPods = s.tenants * s.podsPerTenant;
    while (!ready) {
      if (exited) throw new Error(`collector ${exited} before it was ready: ${stderrTail}`);
      if (performance.now() - started > 180_000) throw new Error(`collector not ready after 180 s: ${stderrTail}`);
      await sleep(500);
      const r = await scrape(url).catch(() => undefined);
      if (!r) continue;
      let pods = 0;
      for (const m of r.text.matchAll(/^tenantscope_k8s_tenant_pods_by_phase\{[^}]*phase="Running"[^}]*\} (\S+)$/gm)) pods += Number(m[1]);
      if (gauge(r.text, 'tenantscope_k8s_up') === 1 && gauge(r.text, 'tenantscope_ingress_up') === 1 && pods >= expectPods && /^tenantscope_k8s_tenant_cpu_usage_cores\{/m.test(r.text)) ready = r;
    }
    const readyS = (performance.now() - started) / 1000;
    const cpu = () => processCpuSeconds(pid);
    const startCpuS = await cpu();
    ctx.progress(`${v.label}: ready after ${readyS.toFixed(1)} s (${startCpuS.toFixed(1)} s CPU, VmHWM ${(procStatus(pid).hwmKiB / 1024).toFixed(0)} MiB); warm-up ${s.warmupIntervals} × 15 s`);

    // Prometheus' schedule: one scrape every 15 s; warm-up intervals are scraped but not measured
    const scrapes: Scrape[] = [];
    const rss: number[] = [];
    const anon: number[] = [];
    const intervalCpu: number[] = [];
    let cpu0 = 0;
    let wall0 = 0;
    for (let k = 0; k < s.warmupIntervals + s.intervals; k++) {
      const measuring = k >= s.warmupIntervals;
      if (k === s.warmupIntervals) {
        cpu0 = await cpu();
        wall0 = performance.now();
      }
      const kCpu = await cpu();
      const begin = performance.now();
      const sc = await scrape(url);
      if (measuring) scrapes.push(sc);
      // one RSS sample per second until the next scrape is due
      for (let i = 1; performance.now() - begin < INTERVAL_MS; i++) {
        if (exited) throw new Error(`collector ${exited} during the run: ${stderrTail}`);
        if (measuring) {
          const p = procStatus(pid);
          rss.push(p.rssKiB / 1024);
          anon.push(p.anonKiB / 1024);
        }
        await sleep(Math.max(0, begin + i * 1000 - performance.now()));
      }
      if (measuring) intervalCpu.push((((await cpu()) - kCpu) / ((performance.now() - begin) / 1000)) * 1000);
      ctx.progress(`${v.label}: ${measuring ? 'interval' : 'warm-up'} ${measuring ? k - s.warmupIntervals + 1 : k + 1}/${measuring ? s.intervals : s.warmupIntervals}: RSS ${(procStatus(pid).rssKiB / 1024).toFixed(0)} MiB, /metrics ${sc.ms.toFixed(0)} ms, ${(sc.bytes / MiB).toFixed(1)} MiB`);
    }
    const mcpu = (((await cpu()) - cpu0) / ((performance.now() - wall0) / 1000)) * 1000;
    return {
      rssMed: median(rss),
      rssMax: Math.max(...rss),
      hwm: procStatus(pid).hwmKiB / 1024,
      anonMed: median(anon),
      mcpu,
      intervalCpu,
      scrapeMs: scrapes.map((x) => x.ms),
      last: scrapes[scrapes.length - 1]!,
      readyS,
      startCpuS,
    };
  } finally {
    if (proc.exitCode === null && proc.signalCode === null) {
      const gone = new Promise<void>((r) => proc.once('exit', () => r()));
      proc.kill('SIGTERM');
      await Promise.race([gone, sleep(10_000)]);
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    }
  }
}

/**
 * RSS (MiB) of a fresh Node process after `imports` and two full GCs: what a module costs before
 * any data (the floor under the collector's figures)
 */
function importRss(imports: string): number {
  const script = `${imports}; globalThis.gc(); await new Promise((r) => setTimeout(r, 200)); globalThis.gc(); process.stdout.write(/VmRSS:\\s+(\\d+)/.exec((await import('node:fs')).readFileSync('/proc/self/status', 'utf8'))[1]);`;
  const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  const kib = Number(r.stdout);
  if (r.status !== 0 || !(kib > 0)) throw new Error(`measuring the RSS of a Node process importing ${imports || 'nothing'} failed: ${r.stderr.trim().split('\n')[0] || r.status}`);
  return kib / 1024;
}

export default async function collectorBench(ctx: BenchContext): Promise<BenchSection> {
  const s = ctx.quick ? QUICK : FULL;
  const dir = mkdtempSync(join(tmpdir(), 'bench-collector-'));
  let load: Load | undefined;
  try {
    const { argv, how, built } = command(ctx);
    ctx.progress(`seeding the stand-ins: ${s.tenants} namespaces, ${s.tenants * s.podsPerTenant} pods, ${s.nodes} nodes`);
    load = await startLoad(s, dir);
    const deployed = deployedEnv();
    const unset = Object.keys(deployed);
    const shown = Object.entries(deployed).map(([k, v]) => `${k}=${v}`).join(', ');
    // the collector as shipped (the Deployment's environment), then with Node's and glibc's defaults, against the same load
    const variants: Variant[] = [
      { label: shown ? `as deployed (${shown})` : 'as deployed (no environment)', env: deployed, unset },
      ...(shown ? [{ label: `defaults (no ${unset.join(', no ')})`, env: {}, unset }] : []),
    ];
    const results: RunResult[] = [];
    for (const v of variants) results.push(await runCollector(ctx, s, argv, load, dir, v));
    const bareRss = importRss('');
    const clientNodeRss = importRss("await import('@kubernetes/client-node')");
    // what the built collector loads instead (scripts/bundle.ts); none when the bench ran the sources
    const bundleRss = built ? importRss(`await import(${JSON.stringify(pathToFileURL(CLIENT_OUTFILE).href)})`) : undefined;

    const mb = (mib: number) => (mib * MiB) / 1e6; // targets are in MB
    const f0 = (x: number) => x.toFixed(0);
    const verdict = (ok: boolean) => (ok ? 'met' : '**not met**');
    const cell = (r: RunResult, f: (r: RunResult) => string) => f(r);
    const row = (measure: string, f: (r: RunResult) => string, target: string) => [measure, ...results.map((r) => cell(r, f)), target];
    const first = results[0]!;
    const heap = (r: RunResult) => {
      const used = gauge(r.last.text, 'tenantscope_process_nodejs_heap_size_used_bytes');
      const total = gauge(r.last.text, 'tenantscope_process_nodejs_heap_size_total_bytes');
      return used === undefined || total === undefined ? '?' : `${f0(used / MiB)} / ${f0(total / MiB)} MiB`;
    };
    const k8sObjects = [...first.last.text.matchAll(/^tenantscope_k8s_watched_objects\{resource="([a-z]+)"\} (\S+)$/gm)].map((m) => `${m[1]} ${m[2]}`).join(', ');
    const logLines = [...first.last.text.matchAll(/^tenantscope_ingress_log_lines_total\{[^}]*\} (\S+)$/gm)].reduce((a, m) => a + Number(m[1]), 0);

    const markdown = [
      table(
        ['measure', ...variants.map((v) => v.label), 'target'],
        [
          row('RSS, median of 1 s samples (VmRSS)', (r) => `${f0(r.rssMed)} MiB (${f0(mb(r.rssMed))} MB) — ${verdict(mb(r.rssMed) <= TARGET_RSS_MB)}`, `≤ ${TARGET_RSS_MB} MB`),
          row('RSS, max of 1 s samples', (r) => `${f0(r.rssMax)} MiB (${f0(mb(r.rssMax))} MB) — ${verdict(mb(r.rssMax) <= TARGET_RSS_MB)}`, `≤ ${TARGET_RSS_MB} MB`),
          row('RSS high-water mark (VmHWM, start-up included)', (r) => `${f0(r.hwm)} MiB (${f0(mb(r.hwm))} MB)`, '—'),
          row('anonymous RSS, median (RssAnon)', (r) => `${f0(r.anonMed)} MiB`, '—'),
          row('V8 heap used / total at the last scrape', heap, '—'),
          row('CPU, average over the measured intervals', (r) => `${f0(r.mcpu)} mCPU — ${verdict(r.mcpu <= TARGET_MCPU)}`, `≤ ${TARGET_MCPU} mCPU`),
          row('CPU per 15 s interval, median / max', (r) => `${f0(median(r.intervalCpu))} / ${f0(Math.max(...r.intervalCpu))} mCPU`, '—'),
          row('/metrics response, median / max', (r) => `${f0(median(r.scrapeMs))} / ${f0(Math.max(...r.scrapeMs))} ms`, '—'),
          row('/metrics size, samples', (r) => `${(r.last.bytes / MiB).toFixed(1)} MiB, ${r.last.samples} samples`, '—'),
          row('start-up until every tenant is exported', (r) => `${r.readyS.toFixed(1)} s wall, ${r.startCpuS.toFixed(1)} s CPU`, '—'),
        ],
      ),
      '',
      `For scale, the floor under these figures: a bare Node ${process.version} process holds ${f0(bareRss)} MiB RSS; the same after importing \`@kubernetes/client-node\` (the collector's Kubernetes client, loaded when a Kubernetes source is configured) and two full GCs, before any object is listed, ${f0(clientNodeRss)} MiB (+${f0(clientNodeRss - bareRss)} MiB)${bundleRss === undefined ? '' : `; after importing the build's bundle of it instead (dist/collector/kubernetes/client.js: only the API groups the collector calls, see scripts/bundle.ts), which is what the collector above loads, ${f0(bundleRss)} MiB (+${f0(bundleRss - bareRss)} MiB)`}.`,
      '',
      `Collector: ${how}, \`collect --config <tmp yaml>\` (collection and /metrics, no analysis), every interval 15 s (Kubernetes metrics.k8s.io read and tenant families, Traefik scrape, collector scrape interval); Node ${process.version}. “As deployed” runs it with the environment of deploy/deployment.yaml (NODE_OPTIONS: the old-generation cap that keeps it under the container's memory limit and a smaller young generation; MALLOC_ARENA_MAX: fewer glibc malloc arenas for the libuv and V8 threads; MALLOC_MMAP_THRESHOLD_ and MALLOC_TRIM_THRESHOLD_ fixed at glibc's initial 128 KiB, so megabyte-sized blocks freed after a scrape go back to the system instead of staying in the main heap); the defaults size the heap from the machine's ${(totalmem() / 2 ** 30).toFixed(0)} GiB, so V8 lets garbage accumulate far longer between major GCs. Watched objects: ${k8sObjects || '?'}; access-log lines read (first run): ${logLines}.`,
      '',
      `Load: the Kubernetes API stand-in (in the bench process) with ${s.tenants} tenant namespaces, ${s.tenants * s.podsPerTenant} pods (2 containers each, requests and limits) on ${s.nodes} nodes in 4 pools, one ResourceQuota and one backup CronJob per tenant, metrics.k8s.io usage for every pod and node (values change every 15 s); list pages of 500, watches with bookmarks every 60 s; ${s.podUpdatesPerSecond} pod MODIFIED event(s) per second plus one OOM kill every 10 s on the watch. The Traefik stand-in with ${s.tenants} tenant services (4 status codes each, counters advancing per scrape) and its JSON access log receiving ${s.logLinesPerSecond} lines/s (written every 100 ms; chained routers, unmatched 404s, 401s). /metrics is scraped every 15 s like Prometheus. The runs are sequential against the same stand-ins.`,
      '',
      `Method: after ready (both sources up, every tenant's pods exported) and ${s.warmupIntervals} warm-up interval(s), ${s.intervals} intervals of 15 s are measured: VmRSS and RssAnon from /proc/<pid>/status every second (median, max), VmHWM at the end, CPU = (utime+stime, plus that of finished children: none here) delta from /proc/<pid>/stat (10 ms ticks) ÷ wall time; /metrics time is request to last byte from the bench process; heap figures are the collector's own self-metrics. Targets (issue 5): RSS ≤ ${TARGET_RSS_MB} MB, ≤ ${TARGET_MCPU} mCPU average. There is no Debian-packaged peer for Traefik or Kubernetes collection here (no kube-state-metrics, metrics-server or Traefik binary), so this section has no side-by-side peer; the stand-ins share the machine with the collector. Load average at the end ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores.`,
    ].join('\n');
    return { title: 'Collector process: RSS and CPU at a 15 s interval, 1,000 tenants, 10,000 pods (Kubernetes and Traefik stand-ins)', markdown };
  } finally {
    await load?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
