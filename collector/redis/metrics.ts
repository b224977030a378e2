/**
 * The tenantscope_redis_* families, shared by the real Redis collector and the simulated fleet.
 */
import { perRegistry } from '../families.js';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export const CANARY_BUCKETS_SECONDS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export function createRedisMetrics(registry: Registry) {
  const r = [registry];
  const T = ['tenant', 'redis_instance'] as const;
  return {
    up: new Gauge({ name: 'tenantscope_redis_up', help: '1 when the last poll of the instance succeeded', labelNames: ['redis_instance'], registers: r }),
    usedMemoryBytes: new Gauge({ name: 'tenantscope_redis_used_memory_bytes', help: 'INFO used_memory', labelNames: ['redis_instance'], registers: r }),
    maxMemoryBytes: new Gauge({ name: 'tenantscope_redis_maxmemory_bytes', help: 'INFO maxmemory (0 = no limit)', labelNames: ['redis_instance'], registers: r }),
    commandSeconds: new Counter({
      name: 'tenantscope_redis_command_seconds_total',
      help: 'time spent executing commands, instance-wide (INFO commandstats usec), by command',
      labelNames: ['redis_instance', 'command'],
      registers: r,
    }),
    tenantKeys: new Gauge({ name: 'tenantscope_redis_tenant_keys', help: 'keys attributed to the tenant (prefix walk or logical db)', labelNames: T, registers: r }),
    tenantMemoryBytes: new Gauge({ name: 'tenantscope_redis_tenant_memory_bytes', help: 'MEMORY USAGE of keys attributed to the tenant', labelNames: T, registers: r }),
    tenantClients: new Gauge({ name: 'tenantscope_redis_tenant_clients', help: 'connections attributed to the tenant (CLIENT LIST)', labelNames: T, registers: r }),
    slowCommands: new Counter({ name: 'tenantscope_redis_slow_commands_total', help: 'SLOWLOG entries by tenant and command', labelNames: ['tenant', 'redis_instance', 'command'], registers: r }),
    slowCommandSeconds: new Counter({
      name: 'tenantscope_redis_slow_command_seconds_total',
      help: 'execution time of SLOWLOG entries by tenant and command',
      labelNames: ['tenant', 'redis_instance', 'command'],
      registers: r,
    }),
    canarySeconds: new Histogram({
      name: 'tenantscope_redis_canary_seconds',
      help: 'round-trip of a tiny probe command: the stall every client of the instance feels',
      labelNames: ['redis_instance'],
      buckets: CANARY_BUCKETS_SECONDS,
      registers: r,
    }),
    // ---- instance health (INFO) ----
    info: new Gauge({ name: 'tenantscope_redis_info', help: 'always 1; labels carry the server version, mode and role', labelNames: ['redis_instance', 'version', 'mode', 'role'], registers: r }),
    usedMemoryPeakBytes: new Gauge({ name: 'tenantscope_redis_used_memory_peak_bytes', help: 'INFO used_memory_peak', labelNames: ['redis_instance'], registers: r }),
    fragmentationRatio: new Gauge({ name: 'tenantscope_redis_mem_fragmentation_ratio', help: 'INFO mem_fragmentation_ratio (rss / used_memory)', labelNames: ['redis_instance'], registers: r }),
    opsPerSecond: new Gauge({ name: 'tenantscope_redis_instantaneous_ops_per_second', help: 'INFO instantaneous_ops_per_sec', labelNames: ['redis_instance'], registers: r }),
    connectedClients: new Gauge({ name: 'tenantscope_redis_connected_clients', help: 'INFO connected_clients', labelNames: ['redis_instance'], registers: r }),
    blockedClients: new Gauge({ name: 'tenantscope_redis_blocked_clients', help: 'INFO blocked_clients', labelNames: ['redis_instance'], registers: r }),
    commandsProcessed: new Counter({ name: 'tenantscope_redis_commands_processed_total', help: 'INFO total_commands_processed (survives CONFIG RESETSTAT and restarts)', labelNames: ['redis_instance'], registers: r }),
    evictedKeys: new Counter({ name: 'tenantscope_redis_evicted_keys_total', help: 'INFO evicted_keys', labelNames: ['redis_instance'], registers: r }),
    expiredKeys: new Counter({ name: 'tenantscope_redis_expired_keys_total', help: 'INFO expired_keys', labelNames: ['redis_instance'], registers: r }),
    keyspaceHits: new Counter({ name: 'tenantscope_redis_keyspace_hits_total', help: 'INFO keyspace_hits', labelNames: ['redis_instance'], registers: r }),
    keyspaceMisses: new Counter({ name: 'tenantscope_redis_keyspace_misses_total', help: 'INFO keyspace_misses', labelNames: ['redis_instance'], registers: r }),
    rejectedConnections: new Counter({ name: 'tenantscope_redis_rejected_connections_total', help: 'INFO rejected_connections (maxclients reached)', labelNames: ['redis_instance'], registers: r }),
    commandCalls: new Counter({ name: 'tenantscope_redis_command_calls_total', help: 'calls by command, instance-wide (INFO commandstats)', labelNames: ['redis_instance', 'command'], registers: r }),
    commandLatencySeconds: new Gauge({
      name: 'tenantscope_redis_command_latency_seconds',
      help: 'server-side latency percentiles by command since the last reset (INFO latencystats, Redis 7+)',
      labelNames: ['redis_instance', 'command', 'quantile'],
      registers: r,
    }),
    dbKeys: new Gauge({ name: 'tenantscope_redis_db_keys', help: 'keys per logical database (INFO keyspace)', labelNames: ['redis_instance', 'db'], registers: r }),
    // ---- per-tenant memory ----
    tenantMemoryRelativeError: new Gauge({
      name: 'tenantscope_redis_tenant_memory_relative_error',
      help: 'estimated 95% relative error of tenant_memory_bytes when the walk samples (0 = exact)',
      labelNames: T,
      registers: r,
    }),
    memoryOverheadBytes: new Gauge({
      name: 'tenantscope_redis_memory_overhead_bytes',
      help: 'used_memory minus the memory attributed to keys (all tenants incl. _unattributed): buffers, replication, allocator; negative when MEMORY USAGE estimates of sampled aggregates overshoot',
      labelNames: ['redis_instance'],
      registers: r,
    }),
    // ---- clients per tenant ----
    tenantClientMemoryBytes: new Gauge({ name: 'tenantscope_redis_tenant_client_memory_bytes', help: 'CLIENT LIST tot-mem of the tenant connections', labelNames: T, registers: r }),
    tenantClientOutputBufferBytes: new Gauge({ name: 'tenantscope_redis_tenant_client_output_buffer_bytes', help: 'CLIENT LIST omem of the tenant connections', labelNames: T, registers: r }),
    tenantIdleClients: new Gauge({ name: 'tenantscope_redis_tenant_idle_clients', help: 'tenant connections idle longer than idleClientSeconds (hoarding)', labelNames: T, registers: r }),
    tenantClientMaxIdleSeconds: new Gauge({ name: 'tenantscope_redis_tenant_client_max_idle_seconds', help: 'longest idle time among the tenant connections', labelNames: T, registers: r }),
    // ---- slow commands and stalls ----
    slowlogThresholdSeconds: new Gauge({ name: 'tenantscope_redis_slowlog_threshold_seconds', help: 'CONFIG slowlog-log-slower-than: commands slower than this enter SLOWLOG (negative = disabled)', labelNames: ['redis_instance'], registers: r }),
    latencyEventLatestSeconds: new Gauge({ name: 'tenantscope_redis_latency_event_latest_seconds', help: 'LATENCY LATEST: latest spike of the event (latency monitor on)', labelNames: ['redis_instance', 'event'], registers: r }),
    latencyEventMaxSeconds: new Gauge({ name: 'tenantscope_redis_latency_event_max_seconds', help: 'LATENCY LATEST: all-time max of the event', labelNames: ['redis_instance', 'event'], registers: r }),
    // ---- self ----
    collectSeconds: new Gauge({ name: 'tenantscope_redis_collect_duration_seconds', help: 'wall time of the last poll of the instance', labelNames: ['redis_instance'], registers: r }),
    collectErrors: new Counter({ name: 'tenantscope_redis_collect_errors_total', help: 'failed steps by instance and step (connect, info, clients, slowlog, latency, config, walk, canary)', labelNames: ['redis_instance', 'step'], registers: r }),
    walkKeysScanned: new Counter({ name: 'tenantscope_redis_walk_keys_scanned_total', help: 'keys returned by SCAN to the walk (after dedupe)', labelNames: ['redis_instance'], registers: r }),
    walkLastKeys: new Gauge({ name: 'tenantscope_redis_walk_last_keys', help: 'distinct keys seen by the last completed walk', labelNames: ['redis_instance'], registers: r }),
    walkLastSeconds: new Gauge({ name: 'tenantscope_redis_walk_last_duration_seconds', help: 'wall time of the last completed walk, pauses included', labelNames: ['redis_instance'], registers: r }),
    walkLastCompletedSeconds: new Gauge({ name: 'tenantscope_redis_walk_last_completed_timestamp_seconds', help: 'when the last walk completed (unix time)', labelNames: ['redis_instance'], registers: r }),
    walkProgressKeys: new Gauge({ name: 'tenantscope_redis_walk_progress_keys', help: 'keys seen so far by the walk in progress', labelNames: ['redis_instance'], registers: r }),
  };
}

export type RedisMetrics = ReturnType<typeof createRedisMetrics>;


/** One set of families per registry: several instances (and the simulated fleet) share them. */
export const redisMetricsFor = perRegistry(createRedisMetrics);
