/**
 * A 429 on the WATCH request, through the real client against the API stand-in: the client's Watch
 * hands us the status without the Retry-After header, so the reflector must still pause as the
 * apiserver asks (1 s) instead of retrying after its short backoff, and resume the watch from the
 * version it had (no re-list: nothing was lost).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Registry } from 'prom-client';
import { parseConfig } from '../../config/index.js';
import { ManualClock } from '../../lib/clock.js';
import { createMemoryLogger } from '../../lib/log.js';
import { createTenantResolver } from '../../tenancy/index.js';
import { startKubeApiServer, type KubeApiServer } from '../../test/standins/kube-apiserver.js';
import { createKubernetesCollector, type KubernetesCollector } from './collector.js';
import { DEFAULT_RETRY_AFTER_MS } from './reflector.js';

let api: KubeApiServer | undefined;
let collector: KubernetesCollector | undefined;
let dir: string | undefined;

afterEach(async () => {
  await collector?.stop();
  await api?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  api = collector = dir = undefined;
});

async function start(seed: (api: KubeApiServer) => void): Promise<{ api: KubeApiServer; collector: KubernetesCollector }> {
  api = await startKubeApiServer({ token: 's3cret' });
  seed(api);
  dir = mkdtempSync(join(tmpdir(), 'tenantscope-watch429-'));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, api.kubeconfig());
  const config = parseConfig({
    tenancy: { rules: { namespace: { name: '^tenant-(?<tenant>[a-z0-9]+)$' } } },
    sources: { kubernetes: { kubeconfig, metricsIntervalMs: 3_600_000 } },
  });
  // a 20 ms backoff: a retry that ignores the 429 comes back within a few tens of ms
  collector = createKubernetesCollector(
    config.sources.kubernetes!,
    { registry: new Registry(), resolver: createTenantResolver(config.tenancy), clock: new ManualClock(0), logger: createMemoryLogger() },
    { backoffBaseMs: 20, backoffMaxMs: 200 },
  );
  await collector.start();
  return { api, collector };
}

const podRequests = (a: KubeApiServer) => a.requests.filter((r) => r.path === '/api/v1/pods');
const pods = (c: KubernetesCollector) => c.status().find((s) => s.resource === 'pods')!;

describe('reflector: 429 on the watch request', () => {
  it('waits what the apiserver asks before watching again, and resumes without a re-list', async () => {
    const { api, collector } = await start((a) => {
      a.addNode('node-1');
      a.addNamespace('tenant-acme');
      a.addPod('tenant-acme', 'odoo-7d9f8-abcde', { node: 'node-1' });
      a.fail('pods', 'watch', 429, { times: 1, retryAfterSeconds: 1 });
    });
    await collector.whenSynced(10_000);
    await vi.waitFor(() => expect(api.openWatches('pods')).toBe(1), { timeout: 10_000 });

    const reqs = podRequests(api);
    const lists = reqs.filter((r) => !r.query.watch);
    const watches = reqs.filter((r) => r.query.watch);
    expect(lists.map((r) => r.status)).toEqual([200]); // listed once: the 429 lost no event
    expect(watches).toHaveLength(2);
    expect(watches[0]!.status).toBe(429);
    // the second watch resumes from the version the list returned
    expect(watches[1]!.query.resourceVersion).toBe(watches[0]!.query.resourceVersion);
    expect(watches[1]!.at - watches[0]!.at).toBeGreaterThanOrEqual(DEFAULT_RETRY_AFTER_MS - 50);

    // the watch that came back delivers events
    api.addPod('tenant-acme', 'odoo-7d9f8-fghij', { node: 'node-1' });
    await vi.waitFor(() => expect(pods(collector).objects).toBe(2), { timeout: 5_000 });
    expect(pods(collector).healthy).toBe(true);
    expect(pods(collector).relists).toBe(1);
  });

  it('backs off further when 429s repeat, never below the apiserver default', async () => {
    const { api, collector } = await start((a) => {
      a.addNamespace('tenant-acme');
      a.fail('namespaces', 'watch', 429, { times: 2, retryAfterSeconds: 1 });
    });
    await collector.whenSynced(10_000);
    await vi.waitFor(() => expect(api.openWatches('namespaces')).toBe(1), { timeout: 10_000 });
    const watches = api.requests.filter((r) => r.path === '/api/v1/namespaces' && r.query.watch);
    expect(watches.map((r) => r.status).slice(0, 2)).toEqual([429, 429]);
    expect(watches).toHaveLength(3);
    for (let i = 1; i < watches.length; i++) expect(watches[i]!.at - watches[i - 1]!.at).toBeGreaterThanOrEqual(DEFAULT_RETRY_AFTER_MS - 50);
    const ns = collector.status().find((s) => s.resource === 'namespaces')!;
    expect(ns.relists).toBe(1);
  });
});
