/**
 * The tenantscope_ingress_* families, shared by the Traefik collector and the simulated fleet.
 * Buckets are finer than Traefik's defaults (0.1/0.3/1.2/5 s) so a p95 is meaningful.
 *
 * Which input feeds which family, per ingress (so nothing is counted twice when an ingress has
 * both a metrics URL and an access log):
 *
 * | family                                   | metricsUrl only | accessLog only | both          |
 * |------------------------------------------|-----------------|----------------|---------------|
 * | requests, authFailures, request/response bytes | scrape    | log            | log           |
 * | duration (fine buckets)                  | —               | log            | log           |
 * | traefikDuration (Traefik's own buckets)  | scrape          | —              | scrape        |
 * | openConnections, up                      | scrape          | —              | scrape        |
 *
 * The log wins where both could feed because it sees every request with its exact status and host
 * (unmatched 404s included, which Traefik's service metrics never show) and gives real durations
 * for the fine histogram; the scrape still tells whether Traefik is up and what is open now.
 */
import { perRegistry } from '../families.js';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { ForwardedHistogram } from './forwarded-histogram.js';

export const INGRESS_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30];

export function createIngressMetrics(registry: Registry) {
  const r = [registry];
  const T = ['tenant', 'ingress'] as const;
  return {
    up: new Gauge({ name: 'tenantscope_ingress_up', help: '1 when the last scrape of the ingress metrics succeeded', labelNames: ['ingress'], registers: r }),
    requests: new Counter({
      name: 'tenantscope_ingress_requests_total',
      help: 'requests by tenant and status class (2xx, 3xx, 4xx, 5xx)',
      labelNames: ['tenant', 'ingress', 'code_class'],
      registers: r,
    }),
    authFailures: new Counter({ name: 'tenantscope_ingress_auth_failures_total', help: 'responses 401 and 403', labelNames: T, registers: r }),
    duration: new Histogram({
      name: 'tenantscope_ingress_request_duration_seconds',
      help: 'request duration at the ingress',
      labelNames: T,
      buckets: INGRESS_BUCKETS_SECONDS,
      registers: r,
    }),
    requestBytes: new Counter({ name: 'tenantscope_ingress_request_bytes_total', help: 'request body bytes received for the tenant', labelNames: T, registers: r }),
    responseBytes: new Counter({ name: 'tenantscope_ingress_response_bytes_total', help: 'response body bytes sent for the tenant', labelNames: T, registers: r }),
    openConnections: new Gauge({ name: 'tenantscope_ingress_open_connections', help: "connections open to the tenant's services now (Traefik v2 service/router gauges)", labelNames: T, registers: r }),
    traefikDuration: new ForwardedHistogram(
      'tenantscope_ingress_traefik_request_duration_seconds',
      "request duration per tenant with Traefik's own (coarse) buckets, from the metrics endpoint",
      T,
      registry,
    ),
    malformed: new Counter({
      name: 'tenantscope_ingress_malformed_total',
      help: 'input skipped because it could not be read, by input (metrics, access_log) and reason',
      labelNames: ['ingress', 'input', 'reason'],
      registers: r,
    }),
    logLines: new Counter({ name: 'tenantscope_ingress_log_lines_total', help: 'access-log lines read and attributed', labelNames: ['ingress'], registers: r }),
    logRotations: new Counter({ name: 'tenantscope_ingress_log_rotations_total', help: 'access-log rotations seen, by kind (rename, truncate)', labelNames: ['ingress', 'kind'], registers: r }),
    traefikRestarts: new Counter({ name: 'tenantscope_ingress_traefik_restarts_total', help: 'Traefik restarts seen (process_start_time_seconds changed)', labelNames: ['ingress'], registers: r }),
  };
}

export type IngressMetrics = ReturnType<typeof createIngressMetrics>;


/** The families on `registry`, created once: every ingress collector on one registry shares them. */
export const ingressMetricsFor = perRegistry(createIngressMetrics);
