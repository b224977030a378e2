export { createTenantResolver, normalizeApplicationName, splitProvider, UNATTRIBUTED_TENANT } from './resolver.js';
export type { TenantResolver, NamespaceIdentity, RedisClientIdentity, TraefikIdentity } from './resolver.js';
