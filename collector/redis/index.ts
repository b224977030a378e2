export { createRedisCollector, SELF_CLIENT_PREFIX } from './collector.js';
export type { RedisCollector, RedisCollectorOptions, RedisStep } from './collector.js';
export { createRedisMetrics, redisMetricsFor, CANARY_BUCKETS_SECONDS } from './metrics.js';
export type { RedisMetrics } from './metrics.js';
export { parseInfo, parseClientList, parseSlowlog, parseLatencyLatest } from './info.js';
export type { RedisInfo, ClientInfo, SlowlogEntry, LatencyEvent } from './info.js';
export { walkKeyspace, estimateTenant } from './walk.js';
export type { WalkCommands, WalkOptions, WalkResult, TenantTotals, TenantEstimate } from './walk.js';
