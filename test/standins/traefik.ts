/**
 * A Traefik stand-in for integration tests and benchmarks (no Traefik binary exists here):
 * - an HTTP server answering `/metrics` with the recorded Traefik v2 exposition
 *   (test/fixtures/traefik/traefik-v2-proxy.metrics.txt: Go runtime, config reload and entry-point
 *   families as recorded), its service families regenerated for tenant services, in Traefik's own
 *   label order (code, method, protocol, service) and without a trailing newline, like the recording.
 *   Counters advance by a fixed, known amount on every scrape so tests can count exactly.
 * - a JSON access-log writer with the shape of test/fixtures/traefik/access-log.jsonl that keeps
 *   its file descriptor across a rename, as Traefik does until it gets USR1.
 * - `restart()` (same port, counters back to 0, new process_start_time_seconds) and `stop()`.
 */
import { closeSync, copyFileSync, ftruncateSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { freePort } from '../support/stack.js';

const FIXTURE = new URL('../fixtures/traefik/traefik-v2-proxy.metrics.txt', import.meta.url);
/** Traefik's default buckets, as in the recording */
const BUCKETS = [0.1, 0.3, 1.2, 5];

export interface StandinService {
  /** Traefik service name with provider, e.g. `tenant-acme-odoo-8069@kubernetes` */
  service: string;
  /** requests added per scrape, by status code */
  perScrape: Record<string, number>;
  /** every request of this service takes this long (keeps expected buckets exact) */
  latencySeconds: number;
  openConnections?: number;
  requestBytes?: number;
  responseBytes?: number;
}

interface ServiceState {
  requests: Map<string, number>;
  buckets: Map<string, number[]>;
  sum: Map<string, number>;
  reqBytes: Map<string, number>;
  respBytes: Map<string, number>;
}

export interface AccessLogEntry {
  status: number;
  durationMs: number;
  host: string;
  /** absent for an unmatched request (Traefik's 404 with no router) */
  router?: string;
  service?: string;
  path?: string;
  /** write ServiceURL as a url.URL object (older Traefik) instead of a string */
  objectServiceUrl?: boolean;
}

/**
 * The i-th line of a synthetic Odoo tenant's traffic, for benchmarks: mostly 200s, some 502s and
 * 401s, every 97th an unmatched 404 (no router), every third through a chained redirect router,
 * every tenth with an object-form ServiceURL.
 */
export function syntheticEntry(i: number, tenant: string): AccessLogEntry {
  if (i % 97 === 0) return { status: 404, durationMs: 0.2, host: `${tenant}.erp.example.com` };
  return {
    status: i % 50 === 0 ? 502 : i % 23 === 0 ? 401 : 200,
    durationMs: (i % 400) + 0.5,
    host: `${tenant}.erp.example.com`,
    router: i % 3 === 0 ? `redirect-https@file -> tenant-${tenant}-odoo-4f2a@kubernetescrd` : `tenant-${tenant}-odoo-4f2a@kubernetescrd`,
    service: `tenant-${tenant}-odoo-8069@kubernetes`,
    objectServiceUrl: i % 10 === 0,
  };
}

export interface TraefikStandin {
  readonly url: string;
  readonly scrapes: number;
  /** expected increments of one scrape, per service and code */
  readonly services: readonly StandinService[];
  setServices(services: StandinService[]): void;
  /** counters back to zero and a new start time; the port stays the same */
  restart(): Promise<void>;
  /** the port stops answering (connection refused) */
  stop(): Promise<void>;
  /** answer again on the same port, counters kept (a network blip, not a restart) */
  resume(): Promise<void>;
  /** answer /metrics with this status and body instead, until called with undefined */
  fault(f: { status: number; body: string } | undefined): void;
}

export async function startTraefikStandin(services: StandinService[]): Promise<TraefikStandin> {
  const template = readFileSync(FIXTURE, 'utf8');
  const cut = template.indexOf('# HELP traefik_service_open_connections');
  if (cut < 0) throw new Error('traefik fixture changed: no traefik_service_open_connections family');
  const head = template.slice(0, cut);
  const port = await freePort();
  let current = services;
  let state = new Map<string, ServiceState>();
  let startTime = 1715200728.9;
  let scrapes = 0;
  let fault: { status: number; body: string } | undefined;

  const advance = () => {
    for (const s of current) {
      let st = state.get(s.service);
      if (!st) state.set(s.service, (st = { requests: new Map(), buckets: new Map(), sum: new Map(), reqBytes: new Map(), respBytes: new Map() }));
      for (const [code, n] of Object.entries(s.perScrape)) {
        st.requests.set(code, (st.requests.get(code) ?? 0) + n);
        const b = st.buckets.get(code) ?? BUCKETS.map(() => 0);
        BUCKETS.forEach((le, i) => {
          if (s.latencySeconds <= le) b[i]! += n;
        });
        st.buckets.set(code, b);
        st.sum.set(code, (st.sum.get(code) ?? 0) + n * s.latencySeconds);
        st.reqBytes.set(code, (st.reqBytes.get(code) ?? 0) + n * (s.requestBytes ?? 0));
        st.respBytes.set(code, (st.respBytes.get(code) ?? 0) + n * (s.responseBytes ?? 0));
      }
    }
  };

  const render = (): string => {
    const out: string[] = [head.replace(/^process_start_time_seconds .*$/m, `process_start_time_seconds ${startTime}`).trimEnd()];
    const lbl = (code: string | undefined, svc: string) => `${code === undefined ? '' : `code="${code}",`}method="GET",protocol="http",service="${svc}"`;
    out.push(
      '# HELP traefik_service_open_connections How many open connections exist on a service, partitioned by method and protocol.',
      '# TYPE traefik_service_open_connections gauge',
    );
    for (const s of current) out.push(`traefik_service_open_connections{${lbl(undefined, s.service)}} ${s.openConnections ?? 0}`);
    out.push(
      '# HELP traefik_service_request_duration_seconds How long it took to process the request on a service, partitioned by status code, protocol, and method.',
      '# TYPE traefik_service_request_duration_seconds histogram',
    );
    for (const [svc, st] of state)
      for (const [code, n] of st.requests) {
        const b = st.buckets.get(code)!;
        BUCKETS.forEach((le, i) => out.push(`traefik_service_request_duration_seconds_bucket{${lbl(code, svc)},le="${le}"} ${b[i]}`));
        out.push(`traefik_service_request_duration_seconds_bucket{${lbl(code, svc)},le="+Inf"} ${n}`);
        out.push(`traefik_service_request_duration_seconds_sum{${lbl(code, svc)}} ${st.sum.get(code)}`);
        out.push(`traefik_service_request_duration_seconds_count{${lbl(code, svc)}} ${n}`);
      }
    for (const [fam, pick] of [
      ['requests_bytes_total', (st: ServiceState) => st.reqBytes],
      ['responses_bytes_total', (st: ServiceState) => st.respBytes],
    ] as const) {
      out.push(`# HELP traefik_service_${fam} bytes by service`, `# TYPE traefik_service_${fam} counter`);
      for (const [svc, st] of state) for (const [code, n] of pick(st)) out.push(`traefik_service_${fam}{${lbl(code, svc)}} ${n}`);
    }
    out.push(
      '# HELP traefik_service_requests_total How many HTTP requests processed on a service, partitioned by status code, protocol, and method.',
      '# TYPE traefik_service_requests_total counter',
    );
    for (const [svc, st] of state) for (const [code, n] of st.requests) out.push(`traefik_service_requests_total{${lbl(code, svc)}} ${n}`);
    return out.join('\n'); // no trailing newline, like the recording
  };

  let server: Server | undefined;
  const listen = async () => {
    const s = createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end('404 page not found\n');
        return;
      }
      if (fault) {
        res.writeHead(fault.status, { 'content-type': 'text/plain' }).end(fault.body);
        return;
      }
      scrapes++;
      advance();
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(render());
    });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
    });
    server = s;
  };
  const close = async () => {
    const s = server;
    server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  await listen();

  return {
    url: `http://127.0.0.1:${port}/metrics`,
    get scrapes() {
      return scrapes;
    },
    get services() {
      return current;
    },
    setServices(s) {
      current = s;
    },
    async restart() {
      await close();
      state = new Map();
      startTime += 3600;
      await listen();
    },
    stop: close,
    resume: listen,
    fault(f) {
      fault = f;
    },
  };
}

/**
 * Appends Traefik JSON access-log lines through one open descriptor, like Traefik: after a rename
 * the lines keep going to the old file until `reopen()` (Traefik's USR1).
 */
export class AccessLogWriter {
  private fd: number;
  private count = 0;
  constructor(readonly path: string) {
    this.fd = openSync(path, 'a');
  }

  write(entries: readonly AccessLogEntry[]): void {
    const chunk = entries.map((e) => this.line(e) + '\n').join('');
    writeSync(this.fd, chunk);
  }

  /** raw text, e.g. a plugin's DEBUG line or half a line */
  writeRaw(text: string): void {
    writeSync(this.fd, text);
  }

  /** logrotate `create`: rename to `<path>.1`; lines go to the old file until reopen() */
  rotateByRename(): void {
    renameSync(this.path, `${this.path}.1`);
  }

  /** what Traefik does on USR1 */
  reopen(): void {
    closeSync(this.fd);
    this.fd = openSync(this.path, 'a');
  }

  /** logrotate `copytruncate` */
  rotateByTruncate(): void {
    copyFileSync(this.path, `${this.path}.1`);
    ftruncateSync(this.fd, 0);
  }

  close(): void {
    closeSync(this.fd);
  }

  private line(e: AccessLogEntry): string {
    this.count++;
    const start = new Date(Date.UTC(2026, 0, 8, 14, 19, 15) + this.count).toISOString();
    const ns = Math.round(e.durationMs * 1e6);
    const origin = e.router ? Math.round(ns * 0.97) : 0;
    const base: Record<string, unknown> = {
      ClientAddr: `192.168.65.1:${29366 + (this.count % 1000)}`,
      ClientHost: '192.168.65.1',
      ClientPort: String(29366 + (this.count % 1000)),
      ClientUsername: '-',
      DownstreamContentSize: e.status === 404 && !e.router ? 19 : 364,
      DownstreamStatus: e.status,
      Duration: ns,
      OriginContentSize: e.router ? 364 : 0,
      OriginDuration: origin,
      OriginStatus: e.router ? e.status : 0,
      Overhead: ns - origin,
      RequestAddr: e.host,
      RequestContentSize: 0,
      RequestCount: this.count,
      RequestHost: e.host,
      RequestMethod: 'GET',
      RequestPath: e.path ?? '/web',
      RequestPort: '-',
      RequestProtocol: 'HTTP/1.1',
      RequestScheme: 'https',
      RetryAttempts: 0,
    };
    if (e.router) {
      base.RouterName = e.router;
      base.ServiceAddr = '10.42.0.7:8069';
      base.ServiceName = e.service ?? e.router;
      base.ServiceURL = e.objectServiceUrl
        ? { Scheme: 'http', Opaque: '', User: null, Host: '10.42.0.7:8069', Path: '', RawPath: '', ForceQuery: false, RawQuery: '', Fragment: '', RawFragment: '' }
        : 'http://10.42.0.7:8069';
    }
    Object.assign(base, { StartLocal: start, StartUTC: start, entryPointName: 'websecure', level: 'info', msg: '', time: start.slice(0, 19) + 'Z' });
    return JSON.stringify(base);
  }
}
