/**
 * The tenantscope_ingress_* families, shared by the Traefik collector and the simulated fleet.
 * Buckets are finer than Traefik's defaults (0.1/0.3/1.2/5 s) so a p95 is meaningful.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export const INGRESS_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30];

export function createIngressMetrics(registry: Registry) {
  const r = [registry];
  return {
    up: new Gauge({ name: 'tenantscope_ingress_up', help: '1 when the last scrape of the ingress metrics succeeded', labelNames: ['ingress'], registers: r }),
    requests: new Counter({
      name: 'tenantscope_ingress_requests_total',
      help: 'requests by tenant and status class (2xx, 3xx, 4xx, 5xx)',
      labelNames: ['tenant', 'ingress', 'code_class'],
      registers: r,
    }),
    authFailures: new Counter({ name: 'tenantscope_ingress_auth_failures_total', help: 'responses 401 and 403', labelNames: ['tenant', 'ingress'], registers: r }),
    duration: new Histogram({
      name: 'tenantscope_ingress_request_duration_seconds',
      help: 'request duration at the ingress',
      labelNames: ['tenant', 'ingress'],
      buckets: INGRESS_BUCKETS_SECONDS,
      registers: r,
    }),
  };
}

export type IngressMetrics = ReturnType<typeof createIngressMetrics>;
