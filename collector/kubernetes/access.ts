/**
 * Everything the collector asks of the Kubernetes API, in one constant. deploy/rbac.yaml's
 * ClusterRole must grant exactly this (deploy/deploy.test.ts compares them), so adding a watched
 * resource here without granting it fails a test instead of failing in a cluster.
 */
export type WatchedResource = 'namespaces' | 'pods' | 'nodes' | 'resourcequotas' | 'jobs' | 'cronjobs';
export type MetricsResource = 'pods.metrics.k8s.io' | 'nodes.metrics.k8s.io';

export interface ApiAccess {
  apiGroup: string; // '' = core
  resource: string;
  verbs: readonly string[];
}

/** list+watch for the informers; metrics.k8s.io has no watch (metrics-server serves get/list only) */
export const KUBERNETES_API_ACCESS: readonly ApiAccess[] = [
  { apiGroup: '', resource: 'namespaces', verbs: ['list', 'watch'] },
  { apiGroup: '', resource: 'pods', verbs: ['list', 'watch'] },
  { apiGroup: '', resource: 'nodes', verbs: ['list', 'watch'] },
  { apiGroup: '', resource: 'resourcequotas', verbs: ['list', 'watch'] },
  { apiGroup: 'batch', resource: 'jobs', verbs: ['list', 'watch'] },
  { apiGroup: 'batch', resource: 'cronjobs', verbs: ['list', 'watch'] },
  { apiGroup: 'metrics.k8s.io', resource: 'pods', verbs: ['get', 'list'] },
  { apiGroup: 'metrics.k8s.io', resource: 'nodes', verbs: ['get', 'list'] },
];

export const WATCHED_RESOURCES: readonly WatchedResource[] = ['namespaces', 'pods', 'nodes', 'resourcequotas', 'jobs', 'cronjobs'];

const GROUP: Record<WatchedResource, string> = {
  namespaces: '',
  pods: '',
  nodes: '',
  resourcequotas: '',
  jobs: 'batch',
  cronjobs: 'batch',
};

/** The resource as RBAC and messages name it: `pods`, `jobs.batch`, `pods.metrics.k8s.io`. */
export function describeAccess(resource: WatchedResource | MetricsResource): { resource: string; apiGroup: string; label: string } {
  if (resource.endsWith('.metrics.k8s.io')) {
    return { resource: resource.slice(0, resource.indexOf('.')), apiGroup: 'metrics.k8s.io', label: resource };
  }
  const apiGroup = GROUP[resource as WatchedResource];
  return { resource, apiGroup, label: apiGroup ? `${resource}.${apiGroup}` : resource };
}
