/**
 * Prometheus text exposition parsing, shared by every scrape-based input (Traefik, cAdvisor,
 * kube-state-metrics). `parseExposition(text)` returns the families by name plus counts of the
 * lines it skipped by reason; it never throws on input.
 */
export { parseExposition, parseSampleValue } from './parser.js';
export type { Family, MetricType, ParseErrorReason, ParseResult, Sample } from './parser.js';
