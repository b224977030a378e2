/**
 * The one place where a resource identity becomes a tenant id. Collectors call it at the edge
 * and carry the result as an explicit `tenant` from then on.
 *
 * Rules come from `tenancy.rules`; within a kind the first rule that matches wins, and within a
 * rule explicit maps are checked before regexes. Nothing is ever dropped: a resource no rule
 * matches belongs to UNATTRIBUTED_TENANT.
 */
import { UNATTRIBUTED_TENANT, type Config, type TenantConfig } from '../config/index.js';

export { UNATTRIBUTED_TENANT };

export interface NamespaceIdentity {
  name: string;
  labels?: Readonly<Record<string, string>> | undefined;
}

export interface RedisClientIdentity {
  name?: string | undefined;
  user?: string | undefined;
  db?: number | undefined;
}

export interface TraefikIdentity {
  router?: string | undefined;
  service?: string | undefined;
  host?: string | undefined;
}

export interface TenantResolver {
  namespace(ns: NamespaceIdentity): string;
  postgresDatabase(datname: string): string;
  /** schema-per-tenant clusters: undefined when no schema rule matches (the caller decides) */
  postgresSchema(schema: string): string | undefined;
  postgresRole(role: string): string | undefined;
  redisKey(key: string): string;
  redisDb(db: number): string | undefined;
  redisClient(client: RedisClientIdentity): string;
  traefik(id: TraefikIdentity): string;
  /** Namespaces seen by the Kubernetes watch; lets `ns-name-port@kubernetes` names resolve through the namespace rule. */
  learnNamespaces(namespaces: readonly NamespaceIdentity[]): void;
  tenant(id: string): TenantConfig | undefined;
  tenants(): readonly TenantConfig[];
}

interface Compiled {
  regex: RegExp;
}

const CACHE_LIMIT = 50_000;

/** A memo with a hard size bound: identities come from the outside world (keys, hosts) and must not grow memory without limit. */
class BoundedMemo {
  private readonly m = new Map<string, string | undefined>();
  get(k: string, compute: () => string | undefined): string | undefined {
    if (this.m.has(k)) return this.m.get(k);
    const v = compute();
    if (this.m.size >= CACHE_LIMIT) this.m.clear();
    this.m.set(k, v);
    return v;
  }
  clear(): void {
    this.m.clear();
  }
}

/** a map lookup that never reads the prototype (a database named "constructor" is just a name) */
function own(map: Readonly<Record<string, string>>, key: string): string | undefined {
  return Object.hasOwn(map, key) ? map[key] : undefined;
}

function compile(src: string | undefined): Compiled | undefined {
  return src === undefined ? undefined : { regex: new RegExp(src) };
}

function capture(c: Compiled | undefined, value: string | undefined): string | undefined {
  if (!c || value === undefined) return undefined;
  const m = c.regex.exec(value);
  const t = m?.groups?.tenant;
  return t ? t : undefined;
}

/** Odoo names each worker's connection `odoo-<pid>`; one value per application keeps label cardinality flat. */
export function normalizeApplicationName(name: string): string {
  return name.replace(/-\d+$/, '').replace(/^(odoo)[-_].*$/i, '$1') || name;
}

/** Traefik appends the provider: `tenant-acme-odoo-8069@kubernetes`. */
export function splitProvider(name: string): { name: string; provider: string | undefined } {
  const at = name.lastIndexOf('@');
  return at > 0 ? { name: name.slice(0, at), provider: name.slice(at + 1) } : { name, provider: undefined };
}

export function createTenantResolver(tenancy: Config['tenancy']): TenantResolver {
  const declared = new Map(tenancy.tenants.map((t) => [t.id, t]));
  const accept = (id: string | undefined): string | undefined => {
    if (id === undefined) return undefined;
    if (declared.has(id) || tenancy.discover) return id;
    return undefined;
  };

  const nsRules = (tenancy.rules.namespace ?? []).map((r) => ({ label: r.label, name: compile(r.name) }));
  const pgRules = (tenancy.rules.postgres ?? []).map((r) => ({
    databases: r.databases ?? {},
    database: compile(r.database),
    schema: compile(r.schema),
    role: compile(r.role),
  }));
  const redisRules = (tenancy.rules.redis ?? []).map((r) => ({
    keyPrefix: compile(r.keyPrefix),
    db: r.db ?? {},
    clientName: compile(r.clientName),
    user: compile(r.user),
  }));
  const traefikRules = (tenancy.rules.traefik ?? []).map((r) => ({
    router: compile(r.router),
    service: compile(r.service),
    host: compile(r.host),
  }));

  const memo = {
    db: new BoundedMemo(),
    schema: new BoundedMemo(),
    role: new BoundedMemo(),
    key: new BoundedMemo(),
    traefik: new BoundedMemo(),
  };
  // namespace name -> tenant, from the Kubernetes watch, longest names first for prefix matching
  let knownNamespaces: { name: string; tenant: string }[] = [];

  const resolveNamespace = (ns: NamespaceIdentity): string | undefined => {
    for (const r of nsRules) {
      const byLabel = r.label && ns.labels ? accept(ns.labels[r.label] || undefined) : undefined;
      if (byLabel) return byLabel;
      const byName = accept(capture(r.name, ns.name));
      if (byName) return byName;
    }
    return undefined;
  };

  const firstMatch = <R>(rules: readonly R[], f: (r: R) => string | undefined): string | undefined => {
    for (const r of rules) {
      const t = accept(f(r));
      if (t) return t;
    }
    return undefined;
  };

  const traefikName = (kind: 'router' | 'service', full: string): string | undefined => {
    const direct = firstMatch(traefikRules, (r) => capture(r[kind], full));
    if (direct) return direct;
    const { name, provider } = splitProvider(full);
    if (name !== full) {
      const stripped = firstMatch(traefikRules, (r) => capture(r[kind], name));
      if (stripped) return stripped;
    }
    if (provider === 'kubernetes' || provider === 'kubernetescrd' || provider === 'kubernetesgateway') {
      // `<namespace>-<name>-<port>` (kubernetes) or `<namespace>-<name>` (CRD): both sides may contain
      // dashes, so the namespace is found by prefix against namespaces the watch has seen, then by rule.
      for (const ns of knownNamespaces) if (name.startsWith(ns.name + '-')) return ns.tenant;
      const parts = name.split('-');
      // shortest prefix first: namespace regexes usually allow dashes, so the longest prefix would swallow the service name
      for (let i = 1; i < parts.length; i++) {
        const t = resolveNamespace({ name: parts.slice(0, i).join('-') });
        if (t) return t;
      }
    }
    return undefined;
  };

  return {
    namespace: (ns) => resolveNamespace(ns) ?? UNATTRIBUTED_TENANT,
    postgresDatabase: (datname) =>
      memo.db.get(datname, () => firstMatch(pgRules, (r) => own(r.databases, datname) ?? capture(r.database, datname))) ?? UNATTRIBUTED_TENANT,
    postgresSchema: (schema) => memo.schema.get(schema, () => firstMatch(pgRules, (r) => capture(r.schema, schema))),
    postgresRole: (role) => memo.role.get(role, () => firstMatch(pgRules, (r) => capture(r.role, role))),
    redisKey: (key) => memo.key.get(key, () => firstMatch(redisRules, (r) => capture(r.keyPrefix, key))) ?? UNATTRIBUTED_TENANT,
    redisDb: (db) => firstMatch(redisRules, (r) => own(r.db, String(db))),
    redisClient: (c) =>
      firstMatch(redisRules, (r) => capture(r.clientName, c.name || undefined) ?? capture(r.user, c.user || undefined)) ??
      (c.db !== undefined ? firstMatch(redisRules, (r) => own(r.db, String(c.db))) : undefined) ??
      UNATTRIBUTED_TENANT,
    traefik: (id) => {
      const key = `${id.router ?? ''}\u0000${id.service ?? ''}\u0000${id.host ?? ''}`;
      return (
        memo.traefik.get(key, () => {
          if (id.router) {
            // chained routers (`parent@file -> child@file`): the most specific, last, decides first
            const chain = id.router.split(/\s*->\s*/).reverse();
            for (const r of chain) {
              const t = traefikName('router', r);
              if (t) return t;
            }
          }
          if (id.service) {
            const t = traefikName('service', id.service);
            if (t) return t;
          }
          if (id.host) {
            const host = id.host.replace(/:\d+$/, '').toLowerCase();
            return firstMatch(traefikRules, (r) => capture(r.host, host));
          }
          return undefined;
        }) ?? UNATTRIBUTED_TENANT
      );
    },
    learnNamespaces(namespaces) {
      knownNamespaces = namespaces
        .map((ns) => ({ name: ns.name, tenant: resolveNamespace(ns) }))
        .filter((n): n is { name: string; tenant: string } => n.tenant !== undefined)
        .sort((a, b) => b.name.length - a.name.length);
      memo.traefik.clear();
    },
    tenant: (id) => declared.get(id),
    tenants: () => tenancy.tenants,
  };
}
