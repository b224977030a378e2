/**
 * The tenantscope_k8s_* families, shared by the Kubernetes collector and the simulated fleet.
 * Co-location (which tenant runs on which node and pool) is what node-level attribution needs.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

export function createKubernetesMetrics(registry: Registry) {
  const r = [registry];
  const TN = ['tenant', 'namespace', 'node'] as const;
  return {
    up: new Gauge({ name: 'tenantscope_k8s_up', help: '1 when the watch of the Kubernetes API is healthy', registers: r }),
    tenantPods: new Gauge({ name: 'tenantscope_k8s_tenant_pods', help: 'running pods of the tenant on the node (co-location)', labelNames: [...TN, 'node_pool'], registers: r }),
    tenantCpuCores: new Gauge({ name: 'tenantscope_k8s_tenant_cpu_usage_cores', help: 'CPU used by the tenant on the node (metrics API)', labelNames: TN, registers: r }),
    tenantMemoryBytes: new Gauge({ name: 'tenantscope_k8s_tenant_memory_working_set_bytes', help: 'memory working set of the tenant on the node', labelNames: TN, registers: r }),
    tenantCpuRequestCores: new Gauge({ name: 'tenantscope_k8s_tenant_cpu_request_cores', help: 'CPU requested by the tenant on the node', labelNames: TN, registers: r }),
    tenantMemoryRequestBytes: new Gauge({ name: 'tenantscope_k8s_tenant_memory_request_bytes', help: 'memory requested by the tenant on the node', labelNames: TN, registers: r }),
    nodeAllocatableCpuCores: new Gauge({ name: 'tenantscope_k8s_node_allocatable_cpu_cores', help: 'allocatable CPU of the node', labelNames: ['node', 'node_pool'], registers: r }),
    nodeAllocatableMemoryBytes: new Gauge({ name: 'tenantscope_k8s_node_allocatable_memory_bytes', help: 'allocatable memory of the node', labelNames: ['node', 'node_pool'], registers: r }),
    restarts: new Counter({ name: 'tenantscope_k8s_container_restarts_total', help: 'container restarts by tenant and last termination reason', labelNames: ['tenant', 'namespace', 'reason'], registers: r }),
  };
}

export type KubernetesMetrics = ReturnType<typeof createKubernetesMetrics>;
