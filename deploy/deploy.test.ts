/**
 * Every manifest in deploy/ validates against the Kubernetes schemas (kubernetes-models' classes
 * validate with the upstream OpenAPI schemas), the ClusterRole grants exactly what the collector
 * asks of the API (KUBERNETES_API_ACCESS), and the pieces agree with each other (ports, probes,
 * the embedded config).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { Ajv } from 'ajv';
import { ConfigMap, Namespace, Service, ServiceAccount } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { ClusterRole, ClusterRoleBinding, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { KUBERNETES_API_ACCESS } from '../collector/kubernetes/index.js';
import { parseConfigText } from '../config/index.js';
import { buildProgram } from '../cli/main.js';

const DIR = dirname(fileURLToPath(import.meta.url));

type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [k: string]: any };

interface Doc {
  file: string;
  obj: Manifest;
}

function load(file: string): Manifest[] {
  const docs = parseAllDocuments(readFileSync(join(DIR, file), 'utf8'));
  return docs.map((d) => {
    expect(d.errors, `${file}: YAML errors`).toEqual([]);
    return d.toJS() as Manifest;
  });
}

const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml' && f !== 'prometheus-scrape.yaml');
const docs: Doc[] = files.flatMap((file) => load(file).map((obj) => ({ file, obj })));
const find = (kind: string, name?: string) => docs.filter((d) => d.obj.kind === kind && (!name || d.obj.metadata.name === name)).map((d) => d.obj);

const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'rbac.authorization.k8s.io/v1/ClusterRole': ClusterRole,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ClusterRoleBinding,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
};

// The part of the Prometheus Operator's ServiceMonitor CRD (monitoring.coreos.com/v1) these
// manifests use; kubernetes-models ships no operator models.
const serviceMonitorSchema = {
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { const: 'monitoring.coreos.com/v1' },
    kind: { const: 'ServiceMonitor' },
    metadata: { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1 }, namespace: { type: 'string' } } },
    spec: {
      type: 'object',
      required: ['selector', 'endpoints'],
      additionalProperties: false,
      properties: {
        selector: { type: 'object', properties: { matchLabels: { type: 'object', additionalProperties: { type: 'string' } } } },
        namespaceSelector: { type: 'object', properties: { matchNames: { type: 'array', items: { type: 'string' } }, any: { type: 'boolean' } } },
        endpoints: {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            additionalProperties: false,
            properties: {
              port: { type: 'string' },
              path: { type: 'string', pattern: '^/' },
              interval: { type: 'string', pattern: '^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$' },
              scrapeTimeout: { type: 'string', pattern: '^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$' },
              honorLabels: { type: 'boolean' },
              scheme: { enum: ['http', 'https', 'HTTP', 'HTTPS'] },
            },
          },
        },
      },
    },
  },
} as const;

describe('deploy/ manifests', () => {
  it('every document validates against its Kubernetes schema', () => {
    expect(docs.length).toBeGreaterThanOrEqual(10);
    for (const { file, obj } of docs) {
      if (obj.kind === 'ServiceMonitor') continue;
      const Model = MODELS[`${obj.apiVersion}/${obj.kind}`];
      expect(Model, `${file}: no schema for ${obj.apiVersion} ${obj.kind}`).toBeDefined();
      expect(() => new Model!(obj).validate(), `${file}: ${obj.kind} ${obj.metadata.name}`).not.toThrow();
    }
  });

  it('a schema violation is caught (the validation is not hollow)', () => {
    const broken = structuredClone(find('Deployment', 'tenantscope')[0]!);
    delete broken.spec.selector;
    expect(() => new Deployment(broken as any).validate()).toThrow(/selector/);
    const badRole = structuredClone(find('ClusterRole', 'tenantscope-collector')[0]!);
    badRole.rules[0].verbs = 'list';
    expect(() => new ClusterRole(badRole as any).validate()).toThrow(/verbs/);
  });

  it('the ServiceMonitor validates against the operator CRD fields it uses and selects the Service', () => {
    const validate = new Ajv({ allErrors: true }).compile(serviceMonitorSchema);
    const [sm] = find('ServiceMonitor');
    expect(validate(sm), JSON.stringify(validate.errors)).toBe(true);
    const svc = find('Service', 'tenantscope')[0]!;
    expect(svc.metadata.labels).toMatchObject(sm!.spec.selector.matchLabels);
    expect(svc.spec.ports.map((p: any) => p.name)).toContain(sm!.spec.endpoints[0].port);
    expect(sm!.spec.namespaceSelector.matchNames).toEqual([svc.metadata.namespace]);
  });

  it('the collector ClusterRole grants exactly KUBERNETES_API_ACCESS, nothing more', () => {
    const [role] = find('ClusterRole', 'tenantscope-collector');
    const granted = new Map<string, string[]>();
    for (const rule of role!.rules as { apiGroups: string[]; resources: string[]; verbs: string[] }[]) {
      for (const g of rule.apiGroups) for (const r of rule.resources) {
        const k = `${g}/${r}`;
        granted.set(k, [...(granted.get(k) ?? []), ...rule.verbs].sort());
      }
    }
    const used = new Map(KUBERNETES_API_ACCESS.map((a) => [`${a.apiGroup}/${a.resource}`, [...a.verbs].sort()]));
    expect(Object.fromEntries(granted)).toEqual(Object.fromEntries(used));
    const verbs = new Set([...granted.values()].flat());
    for (const v of verbs) expect(['get', 'list', 'watch']).toContain(v);
    expect(JSON.stringify(role)).not.toContain('*');
  });

  it('write access is opt-in: only the rebalancer role patches, and kustomization leaves it out', () => {
    const patchers = find('ClusterRole').filter((r) => (r.rules as { verbs: string[] }[]).some((x) => x.verbs.includes('patch')));
    expect(patchers.map((r) => r.metadata.name)).toEqual(['tenantscope-rebalancer']);
    const kustomization = load('kustomization.yaml')[0] as unknown as { resources: string[] };
    expect(kustomization.resources).not.toContain('rbac-rebalancer.yaml');
    for (const f of kustomization.resources) expect(files).toContain(f);
  });

  it('the binding gives the collector role to the Deployment service account', () => {
    const [binding] = find('ClusterRoleBinding', 'tenantscope-collector');
    const dep = find('Deployment', 'tenantscope')[0]!;
    expect(binding!.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'tenantscope-collector' });
    expect(binding!.subjects).toEqual([{ kind: 'ServiceAccount', name: dep.spec.template.spec.serviceAccountName, namespace: dep.metadata.namespace }]);
    expect(find('ServiceAccount', dep.spec.template.spec.serviceAccountName)).toHaveLength(1);
  });

  it('the Deployment runs non-root on a read-only root fs with probes on /healthz and resources', () => {
    const dep = find('Deployment', 'tenantscope')[0]!;
    const pod = dep.spec.template.spec;
    const [c] = pod.containers;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) expect(c[probe].httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(c.resources.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(c.resources.limits.memory).toBeDefined();
    // the selector must select the template
    expect(dep.spec.template.metadata.labels).toMatchObject(dep.spec.selector.matchLabels);
  });

  /** the Deployment's container, its NODE_OPTIONS, and a numeric flag in them (NaN when absent) */
  const container = () => find('Deployment', 'tenantscope')[0]!.spec.template.spec.containers[0];
  const nodeOptionsOf = (c: { env: { name: string; value?: string }[] }): string => c.env.find((e) => e.name === 'NODE_OPTIONS')?.value ?? '';
  const flag = (nodeOptions: string, name: string) => Number(new RegExp(`--${name}=(\\d+)`).exec(nodeOptions)?.[1] ?? Number.NaN);

  it("the heap caps in NODE_OPTIONS leave room under the container's memory limit for what is not V8 heap", () => {
    const c = container();
    const nodeOptions = nodeOptionsOf(c);
    const oldMiB = flag(nodeOptions, 'max-old-space-size');
    // V8 rounds a semi-space size up to a power of two (5 runs as 8); Node 20's default is 16
    const written = flag(nodeOptions, 'max-semi-space-size');
    const semiMiB = Number.isNaN(written) ? 16 : 2 ** Math.ceil(Math.log2(written));
    expect(oldMiB).toBeGreaterThan(0); // without a cap V8 sizes the heap from the node's memory, not the container's
    const mib = (q: string) => {
      const m = /^(\d+)(Mi|Gi)$/.exec(q);
      if (!m) throw new Error(`memory quantity ${q}: expected Mi or Gi`);
      return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1);
    };
    // outside the V8 heap (the binary, native buffers, module code), from bench/RESULTS.md "Collector
    // process" (as deployed, 08:02Z on 2026-11-24): VmHWM 216 MiB − heap total 110 MiB = 106 MiB; 120 leaves headroom
    // for runs that read more (105 at 06:10Z and 97 at 04:41Z the same day; 119 at 19:04Z on 2026-11-23, before the client bundle)
    const NON_HEAP_MIB = 120;
    expect(oldMiB + 2 * semiMiB + NON_HEAP_MIB).toBeLessThanOrEqual(mib(c.resources.limits.memory));
    expect(mib(c.resources.requests.memory)).toBeLessThanOrEqual(mib(c.resources.limits.memory));
  });

  it("Node accepts the Deployment's NODE_OPTIONS (a flag Node does not allow there stops the process at start)", () => {
    const nodeOptions = nodeOptionsOf(container());
    expect(nodeOptions).not.toBe('');
    // the same binary as the tests; prints the V8 heap's young generation to check the semi-space rounding too
    const out = execFileSync(process.execPath, ['-e', "const v8 = require('node:v8'); const a = []; for (let i = 0; i < 4e6; i++) { a.push({ i }); if (a.length > 3e5) a.length = 0; } console.log(v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size)"], {
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: nodeOptions },
    });
    // two semi-spaces of the size written (a power of two: V8 rounds any other value up)
    expect(Number(out.trim())).toBe(2 * flag(nodeOptions, 'max-semi-space-size') * 2 ** 20);
  });

  it('ports agree: container, Service, and the listen address of the embedded config', () => {
    const dep = find('Deployment', 'tenantscope')[0]!;
    const c = dep.spec.template.spec.containers[0];
    const http = c.ports.find((p: any) => p.name === 'http');
    const svc = find('Service', 'tenantscope')[0]!;
    expect(svc.spec.ports[0].targetPort).toBe('http');
    expect(svc.spec.selector).toEqual(dep.spec.selector.matchLabels);
    const cm = find('ConfigMap', 'tenantscope-config')[0]!;
    const config = parseConfigText(cm.data['tenantscope.yaml']);
    expect(config.server.listen).toBe(`0.0.0.0:${http.containerPort}`);
    expect(config.sources.kubernetes?.inCluster).toBe(true);
    // the config file is mounted where the args point
    const mount = c.volumeMounts.find((v: any) => v.name === 'config');
    expect(c.args.join(' ')).toContain(`${mount.mountPath}/tenantscope.yaml`);
    // the plain scrape config targets the same port
    expect(readFileSync(join(DIR, 'prometheus-scrape.yaml'), 'utf8')).toContain(`port: ${http.containerPort}`);
  });

  it('the plain Prometheus scrape config passes promtool check config', () => {
    const out = execFileSync('promtool', ['check', 'config', join(DIR, 'prometheus-scrape.yaml')], { encoding: 'utf8' });
    expect(out).toContain('SUCCESS');
  });
});

describe('the container image (Dockerfile)', () => {
  const ROOT = join(DIR, '..');
  const [build, runtime] = readFileSync(join(ROOT, 'Dockerfile'), 'utf8').split(/^FROM /m).slice(1) as [string, string];
  const buildConfig = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as { include: string[]; exclude: string[] };
  const dep = find('Deployment', 'tenantscope')[0]!;
  const pod = dep.spec.template.spec;
  const [c] = pod.containers;

  it("runs the CLI as the Deployment's non-root user, on its port, with the Deployment's args as CLI arguments", () => {
    expect(/^USER (\d+):(\d+)$/m.exec(runtime)?.slice(1).map(Number)).toEqual([pod.securityContext.runAsUser, pod.securityContext.runAsGroup]);
    expect(/^EXPOSE (\d+)$/m.exec(runtime)?.[1]).toBe(String(c.ports.find((p: any) => p.name === 'http').containerPort));
    expect(JSON.parse(/^ENTRYPOINT (.*)$/m.exec(runtime)![1]!)).toEqual(['node', 'dist/cli/main.js']);
    // no command in the Deployment: the image's entrypoint runs with its args, the first being a CLI command
    expect(c.command).toBeUndefined();
    expect(buildProgram().commands.map((x) => x.name())).toContain(c.args[0]);
  });

  it('compiles every directory the build includes, prunes dev dependencies and ships the SQL migrations', () => {
    for (const d of buildConfig.include) {
      // a directory only this checkout has (empty, untracked) would pass here and break `docker build` on a clone
      expect(existsSync(join(ROOT, d)) && readdirSync(join(ROOT, d)).some((f) => f.endsWith('.ts')), `build include ${d} has TypeScript sources`).toBe(true);
      expect(build).toMatch(new RegExp(`^COPY ${d} \\./${d}$`, 'm'));
    }
    expect(build.match(/^COPY (\w+) \.\/\1$/gm)?.length, 'one COPY per build include, no more').toBe(buildConfig.include.length);
    // the image is built by the same script as `npm run build`, and has what that script reads
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(build).toMatch(/^RUN npm run build && npm prune --omit=dev/m);
    for (const script of pkg.scripts.build!.match(/\bscripts\/[\w.-]+/g) ?? []) expect(build).toMatch(new RegExp(`^COPY ${script} \\./${script}$`, 'm'));
    expect(pkg.scripts.build).toContain('tsc -p tsconfig.build.json');
    expect(runtime).toMatch(/^COPY --from=build \/app\/store\/migrations \.\/store\/migrations$/m);
    expect(readdirSync(join(ROOT, 'store', 'migrations')).some((f) => f.endsWith('.sql'))).toBe(true);
  });

  it('the product imports only production dependencies: what npm prune --omit=dev leaves in the image', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const excluded = (path: string) => path.endsWith('.test.ts') || path.endsWith('.contract.ts') || buildConfig.exclude.some((e) => !e.includes('*') && path.startsWith(`${e}/`));
    expect(buildConfig.exclude).toEqual(expect.arrayContaining(['**/*.test.ts', '**/*.contract.ts']));
    const imported = new Map<string, string>();
    const walk = (dir: string): void => {
      for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
        const path = `${dir}/${e.name}`;
        if (e.isDirectory()) walk(path);
        else if (path.endsWith('.ts') && !excluded(path)) {
          for (const m of readFileSync(join(ROOT, path), 'utf8').matchAll(/(?:from\s+|import\(\s*)['"]([^'".][^'"]*)['"]/g)) {
            const spec = m[1]!;
            if (spec.startsWith('node:')) continue;
            imported.set(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!, path);
          }
        }
      }
    };
    for (const d of buildConfig.include) walk(d);
    // not hollow: the drivers the adapters own are among them
    expect([...imported.keys()]).toEqual(expect.arrayContaining(['pg', 'ioredis', '@kubernetes/client-node', 'prom-client', 'hono']));
    const missing = [...imported].filter(([name]) => !Object.hasOwn(pkg.dependencies, name)).map(([name, where]) => `${name} (${where})`);
    expect(missing).toEqual([]);
  });
});
