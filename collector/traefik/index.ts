/**
 * Traefik ingress: the collector (metrics scrape + JSON access-log tail), the tenantscope_ingress_*
 * families it writes, and the pieces the benchmark and other inputs reuse.
 */
export { createTraefikCollector } from './collector.js';
export { createIngressMetrics, ingressMetricsFor, INGRESS_BUCKETS_SECONDS } from './metrics.js';
export type { IngressMetrics } from './metrics.js';
export { parseAccessLine, AccessLogBatch } from './access-log.js';
export type { AccessRecord, LogErrorReason } from './access-log.js';
export { FileTailer } from './tail.js';
export type { TailerOptions, TailPoll } from './tail.js';
export { TraefikScrapeReader, codeClass } from './scrape.js';
export type { ScrapeReading, TenantScrape } from './scrape.js';
