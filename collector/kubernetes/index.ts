export { createKubernetesCollector } from './collector.js';
export type { KubernetesCollector, KubernetesCollectorOptions } from './collector.js';
export { createKubernetesMetrics, kubernetesMetricsFor } from './metrics.js';
export type { KubernetesMetrics } from './metrics.js';
export { KUBERNETES_API_ACCESS, WATCHED_RESOURCES, describeAccess } from './access.js';
export type { ApiAccess, WatchedResource, MetricsResource } from './access.js';
export { parseQuantity } from './quantity.js';
export { buildView, ownerWorkload, nodePool } from './view.js';
export type { TenantView, ViewInput } from './view.js';
