export { configSchema, UNATTRIBUTED_TENANT } from './schema.js';
export type {
  Config,
  ConfigInput,
  TenantConfig,
  TenancyRules,
  PostgresSourceConfig,
  RedisSourceConfig,
  TraefikSourceConfig,
  KubernetesSourceConfig,
  PrometheusSourceConfig,
  Band,
  Tier,
} from './schema.js';
export { loadConfig, parseConfig, parseConfigText, envKey, expandHome, formatPath, DEFAULT_CONFIG_FILE } from './load.js';
export type { LoadedConfig, LoadOptions } from './load.js';
