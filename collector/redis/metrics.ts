/**
 * The tenantscope_redis_* families, shared by the real Redis collector and the simulated fleet.
 */
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
  };
}

export type RedisMetrics = ReturnType<typeof createRedisMetrics>;
