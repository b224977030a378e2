/**
 * The Kubernetes API stand-in speaks the protocol the collector and (later) the rebalancer rely on:
 * checked over raw HTTP, so a stand-in bug cannot hide behind the client.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startKubeApiServer, type KubeApiServer } from '../standins/kube-apiserver.js';

let api: KubeApiServer;
const AUTH = { authorization: 'Bearer t0ken' };

beforeEach(async () => {
  api = await startKubeApiServer({ fixtures: true, token: 't0ken' });
});
afterEach(async () => {
  await api.stop();
});

async function get(path: string): Promise<{ status: number; headers: Headers; body: any }> {
  const r = await fetch(api.url + path, { headers: AUTH });
  return { status: r.status, headers: r.headers, body: await r.json() };
}

/** Opens a watch and collects events until `n` arrived or the stream ended. */
async function watchEvents(path: string, n: number, during?: () => void): Promise<{ type: string; object: any }[]> {
  const ctl = new AbortController();
  const r = await fetch(api.url + path, { headers: AUTH, signal: ctl.signal });
  expect(r.status).toBe(200);
  const events: { type: string; object: any }[] = [];
  const reader = r.body!.getReader();
  const dec = new TextDecoder();
  let buf = '';
  during?.();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += dec.decode(value, { stream: true });
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      events.push(JSON.parse(buf.slice(0, i)));
      buf = buf.slice(i + 1);
    }
    if (events.length >= n) break;
  }
  ctl.abort();
  return events;
}

describe('Kubernetes API stand-in', () => {
  it('serves the recorded lists with resourceVersions and keeps the duplicate-name pods apart', async () => {
    const pods = await get('/api/v1/pods');
    expect(pods.status).toBe(200);
    expect(pods.body.kind).toBe('PodList');
    expect(Number(pods.body.metadata.resourceVersion)).toBeGreaterThan(0);
    expect(pods.body.items).toHaveLength(6);
    const twins = pods.body.items.filter((p: any) => p.metadata.name === 'fluentd-gcp-v2.0.10-9q9t4');
    expect(new Set(twins.map((p: any) => p.metadata.uid)).size).toBe(2);
    for (const p of pods.body.items) expect(Number(p.metadata.resourceVersion)).toBeGreaterThan(0);
    const nodes = await get('/api/v1/nodes');
    expect(nodes.body.items.map((n: any) => n.metadata.name)).toEqual(['duckboat-01', 'duckboat-02']);
    const ns = await get('/api/v1/namespaces/kube-system/pods');
    expect(ns.body.items.every((p: any) => p.metadata.namespace === 'kube-system')).toBe(true);
    const metrics = await get('/apis/metrics.k8s.io/v1beta1/pods');
    expect(metrics.body.kind).toBe('PodMetricsList');
    expect(metrics.body.items[0].containers[0].usage.cpu).toBe('704595n');
  });

  it('pages lists with limit and continue', async () => {
    const first = await get('/api/v1/pods?limit=4');
    expect(first.body.items).toHaveLength(4);
    expect(first.body.metadata.continue).toEqual(expect.any(String));
    const second = await get(`/api/v1/pods?limit=4&continue=${first.body.metadata.continue}`);
    expect(second.body.items).toHaveLength(2);
    expect(second.body.metadata.continue).toBeUndefined();
    expect(second.body.metadata.resourceVersion).toBe(first.body.metadata.resourceVersion);
    const uids = [...first.body.items, ...second.body.items].map((p: any) => p.metadata.uid);
    expect(new Set(uids).size).toBe(6);
  });

  it('filters by labelSelector', async () => {
    api.addNamespace('tenant-a');
    api.addBackupJob('tenant-a', 'b-1', { label: 'tenantscope.io/backup', succeeded: true, at: new Date() });
    api.put('jobs', { metadata: { name: 'other', namespace: 'tenant-a', labels: { app: 'x' } } });
    expect((await get('/apis/batch/v1/jobs?labelSelector=tenantscope.io%2Fbackup')).body.items.map((j: any) => j.metadata.name)).toEqual(['b-1']);
    expect((await get('/apis/batch/v1/jobs?labelSelector=app%3Dx')).body.items.map((j: any) => j.metadata.name)).toEqual(['other']);
    expect((await get('/apis/batch/v1/jobs?labelSelector=!app')).body.items.map((j: any) => j.metadata.name)).toEqual(['b-1']);
  });

  it('streams events after a resourceVersion, with BOOKMARK only when asked', async () => {
    const rv = (await get('/api/v1/pods')).body.metadata.resourceVersion;
    const events = await watchEvents(`/api/v1/pods?watch=true&resourceVersion=${rv}&allowWatchBookmarks=true`, 3, () => {
      api.addNamespace('tenant-a');
      api.addPod('tenant-a', 'odoo-1');
      api.oomKill('tenant-a', 'odoo-1', 'odoo');
      api.bookmark();
    });
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'BOOKMARK']);
    expect(events[1]!.object.status.containerStatuses[0].lastState.terminated.reason).toBe('OOMKilled');
    expect(events[2]!.object.metadata.resourceVersion).toBe(String(api.resourceVersion));
    expect(Number(events[1]!.object.metadata.resourceVersion)).toBeGreaterThan(Number(events[0]!.object.metadata.resourceVersion));
  });

  it('answers a compacted resourceVersion with an ERROR event carrying 410 Gone', async () => {
    const rv = (await get('/api/v1/pods')).body.metadata.resourceVersion;
    api.addNamespace('tenant-a');
    api.compact();
    const events = await watchEvents(`/api/v1/pods?watch=true&resourceVersion=${rv}`, 1);
    expect(events).toEqual([{ type: 'ERROR', object: expect.objectContaining({ kind: 'Status', code: 410, reason: 'Expired' }) }]);
  });

  it('fails with Status objects: 401 without the token, 403 naming verb and resource, 429 with Retry-After', async () => {
    const anon = await fetch(api.url + '/api/v1/pods');
    expect(anon.status).toBe(401);
    expect(await anon.json()).toMatchObject({ kind: 'Status', code: 401, reason: 'Unauthorized' });
    api.fail('pods', 'watch', 403);
    const denied = await fetch(api.url + '/api/v1/pods?watch=1', { headers: AUTH });
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as { message: string }).message).toContain('cannot watch resource "pods" in API group "" at the cluster scope');
    expect((await get('/api/v1/pods')).status).toBe(200); // list is still allowed
    api.fail('jobs', 'list', 429, { times: 1, retryAfterSeconds: 7 });
    const slow = await get('/apis/batch/v1/jobs');
    expect(slow.status).toBe(429);
    expect(slow.headers.get('retry-after')).toBe('7');
    expect(slow.body).toMatchObject({ kind: 'Status', code: 429, details: { retryAfterSeconds: 7 } });
    expect((await get('/apis/batch/v1/jobs')).status).toBe(200);
  });

  it('applies merge patches, and dryRun=All answers without storing', async () => {
    api.addNamespace('tenant-a');
    api.addPod('tenant-a', 'odoo-1', { node: 'n1' });
    const patch = (body: unknown, query = '', type = 'application/merge-patch+json') =>
      fetch(`${api.url}/api/v1/namespaces/tenant-a/pods/odoo-1${query}`, { method: 'PATCH', headers: { ...AUTH, 'content-type': type }, body: JSON.stringify(body) });
    const before = api.find('pods', 'odoo-1', 'tenant-a')!.metadata.resourceVersion;

    const dry = await patch({ metadata: { labels: { moved: 'yes', app: null } } }, '?dryRun=All');
    expect(dry.status).toBe(200);
    expect(((await dry.json()) as { metadata: { labels: unknown } }).metadata.labels).toEqual({ moved: 'yes' });
    expect(api.find('pods', 'odoo-1', 'tenant-a')!.metadata.labels).toEqual({ app: 'odoo' });
    expect(api.find('pods', 'odoo-1', 'tenant-a')!.metadata.resourceVersion).toBe(before);

    const real = await patch({ metadata: { labels: { moved: 'yes' } } }, '', 'application/strategic-merge-patch+json');
    expect(real.status).toBe(200);
    expect(api.find('pods', 'odoo-1', 'tenant-a')!.metadata.labels).toEqual({ app: 'odoo', moved: 'yes' });
    expect(Number(api.find('pods', 'odoo-1', 'tenant-a')!.metadata.resourceVersion)).toBeGreaterThan(Number(before));

    expect((await patch([{ op: 'add' }], '', 'application/json-patch+json')).status).toBe(415);
    expect((await fetch(`${api.url}/api/v1/namespaces/tenant-a/pods/missing`, { method: 'PATCH', headers: { ...AUTH, 'content-type': 'application/merge-patch+json' }, body: '{}' })).status).toBe(404);
  });
});
