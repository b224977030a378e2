/**
 * Every tenantscope_* family the collectors export, for the README's metrics catalogue and for
 * the cardinality guard. A collector adds its factory here when it defines new families.
 */
import type { Registry } from 'prom-client';
import { createPostgresMetrics } from './postgres/metrics.js';
import { createRedisMetrics } from './redis/metrics.js';
import { createIngressMetrics } from './traefik/metrics.js';
import { createKubernetesMetrics } from './kubernetes/metrics.js';

export function metricFamilies(registry: Registry): void {
  createPostgresMetrics(registry);
  createRedisMetrics(registry);
  createIngressMetrics(registry);
  createKubernetesMetrics(registry);
}
