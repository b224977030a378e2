/**
 * The tenantscope_k8s_* families, shared by the Kubernetes collector and the simulated fleet.
 * Co-location (which tenant runs on which node and pool) is what node-level attribution needs.
 * Every label set is bounded by cluster objects (tenants × the nodes they run on, workloads, quotas,
 * backups), never by pod names: 1,000 tenants with 10,000 pods on 2 nodes each are ~31,000 series.
 */
import { perRegistry } from '../families.js';
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

    // pods, by tenant
    // limits and workloads without the node label: per-node placement is already in the request and
    // pod families, and a node label here would multiply series by the tenant's spread
    tenantCpuLimitCores: new Gauge({ name: 'tenantscope_k8s_tenant_cpu_limit_cores', help: 'CPU limit of the tenant\'s scheduled, non-terminated pods (sum over containers)', labelNames: ['tenant', 'namespace'], registers: r }),
    tenantMemoryLimitBytes: new Gauge({ name: 'tenantscope_k8s_tenant_memory_limit_bytes', help: 'memory limit of the tenant\'s scheduled, non-terminated pods (sum over containers)', labelNames: ['tenant', 'namespace'], registers: r }),
    tenantPodPhase: new Gauge({ name: 'tenantscope_k8s_tenant_pods_by_phase', help: 'pods of the tenant by phase (Pending, Running, Succeeded, Failed, Unknown)', labelNames: ['tenant', 'namespace', 'phase'], registers: r }),
    tenantPodQos: new Gauge({ name: 'tenantscope_k8s_tenant_pods_by_qos_class', help: 'non-terminated pods of the tenant by QoS class', labelNames: ['tenant', 'namespace', 'qos_class'], registers: r }),
    workloadPods: new Gauge({ name: 'tenantscope_k8s_workload_pods', help: 'non-terminated pods of a workload (owner: Deployment, StatefulSet, DaemonSet, Job, CronJob, or the pod itself)', labelNames: ['tenant', 'namespace', 'workload_kind', 'workload'], registers: r }),
    oomKilledContainers: new Gauge({ name: 'tenantscope_k8s_tenant_oomkilled_containers', help: 'containers of the tenant whose last termination was OOMKilled', labelNames: ['tenant', 'namespace'], registers: r }),

    // nodes and co-location
    nodeInfo: new Gauge({ name: 'tenantscope_k8s_node_info', help: 'one per node, with its node pool', labelNames: ['node', 'node_pool'], registers: r }),
    nodeTaint: new Gauge({ name: 'tenantscope_k8s_node_taint', help: 'one per taint of the node', labelNames: ['node', 'key', 'value', 'effect'], registers: r }),
    nodeTenants: new Gauge({ name: 'tenantscope_k8s_node_tenants', help: 'distinct tenants with running pods on the node (co-location)', labelNames: ['node', 'node_pool'], registers: r }),
    nodeCpuCores: new Gauge({ name: 'tenantscope_k8s_node_cpu_usage_cores', help: 'CPU used on the node (metrics API)', labelNames: ['node', 'node_pool'], registers: r }),
    nodeMemoryBytes: new Gauge({ name: 'tenantscope_k8s_node_memory_working_set_bytes', help: 'memory working set of the node (metrics API)', labelNames: ['node', 'node_pool'], registers: r }),

    // quotas and backups
    tenantQuota: new Gauge({ name: 'tenantscope_k8s_tenant_resourcequota', help: 'ResourceQuota of the tenant namespace: type="hard" is the limit, type="used" the usage (cores, bytes or counts)', labelNames: ['tenant', 'namespace', 'quota', 'resource', 'type'], registers: r }),
    backupLastSuccess: new Gauge({ name: 'tenantscope_k8s_tenant_backup_last_success_timestamp_seconds', help: 'completion time of the last successful backup run (0 = none seen)', labelNames: ['tenant', 'namespace', 'backup'], registers: r }),
    backupFailedRuns: new Gauge({ name: 'tenantscope_k8s_tenant_backup_failed_runs', help: 'failed backup Jobs the API still retains (failedJobsHistoryLimit)', labelNames: ['tenant', 'namespace', 'backup'], registers: r }),
    backupLastFailure: new Gauge({ name: 'tenantscope_k8s_tenant_backup_last_failure_timestamp_seconds', help: 'time of the last failed backup run (0 = none seen)', labelNames: ['tenant', 'namespace', 'backup'], registers: r }),

    // health of the collector's view
    watchUp: new Gauge({ name: 'tenantscope_k8s_watch_up', help: '1 when the list+watch of the resource is synced and its last attempt succeeded', labelNames: ['resource'], registers: r }),
    objects: new Gauge({ name: 'tenantscope_k8s_watched_objects', help: 'objects held by the watch of the resource', labelNames: ['resource'], registers: r }),
    relists: new Counter({ name: 'tenantscope_k8s_relists_total', help: 'full lists of a resource, by reason (initial, gone = 410, disconnect, error)', labelNames: ['resource', 'reason'], registers: r }),
    apiErrors: new Counter({ name: 'tenantscope_k8s_api_errors_total', help: 'failed API requests by resource, verb and HTTP status (0 = transport)', labelNames: ['resource', 'verb', 'code'], registers: r }),
    apiDenied: new Gauge({ name: 'tenantscope_k8s_api_denied', help: '1 while the API answers 401/403 for the verb on the resource (see the log for the grant to add)', labelNames: ['resource', 'verb'], registers: r }),
    metricsApiUp: new Gauge({ name: 'tenantscope_k8s_metrics_api_up', help: '1 when both metrics.k8s.io lists (pods and nodes) were read in the last poll', registers: r }),
    invalidQuantities: new Counter({ name: 'tenantscope_k8s_invalid_quantities_total', help: 'resource quantities that could not be parsed, by field', labelNames: ['field'], registers: r }),
  };
}

/** One set of families per registry (shared with the simulated fleet). */
export const kubernetesMetricsFor = perRegistry(createKubernetesMetrics);

export type KubernetesMetrics = ReturnType<typeof createKubernetesMetrics>;
