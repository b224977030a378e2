import { describe, expect, it } from 'vitest';
import { SourceError } from '../../lib/errors.js';
import { apiError, retryAfterMs, statusOf } from './reflector.js';

const HINT = 'kubeconfig /home/ops/.kube/config, context prod (server https://10.0.0.1:6443)';

describe('reflector error handling', () => {
  it('reads the HTTP status from ApiException (code) and from the Watch error (statusCode)', () => {
    expect(statusOf({ code: 403 })).toBe(403);
    expect(statusOf(Object.assign(new Error('Gone'), { statusCode: 410 }))).toBe(410);
    expect(statusOf(Object.assign(new Error('socket'), { code: 'ECONNRESET' }))).toBe(0);
    expect(statusOf(undefined)).toBe(0);
  });

  it('reads Retry-After in seconds or as an HTTP date', () => {
    expect(retryAfterMs({ headers: { 'retry-after': '3' } }, 0)).toBe(3000);
    const now = Date.parse('2026-11-22T10:00:00Z');
    expect(retryAfterMs({ headers: { 'retry-after': 'Sun, 22 Nov 2026 10:00:05 GMT' } }, now)).toBe(5000);
    expect(retryAfterMs({ headers: {} }, 0)).toBeUndefined();
    expect(retryAfterMs(new Error('x'), 0)).toBeUndefined();
  });

  it('403 names the verb, the resource, its API group and where to grant it', () => {
    const e = apiError('kubernetes source', 'cronjobs', 'watch', { code: 403 }, HINT);
    expect(e).toBeInstanceOf(SourceError);
    expect(e.message).toBe(
      'kubernetes source: watch cronjobs.batch: forbidden (403): cannot watch cronjobs.batch at the cluster scope — grant "watch" on "cronjobs" in apiGroup "batch" in the ClusterRole (deploy/rbac.yaml)',
    );
    expect(apiError('kubernetes source', 'pods', 'list', { code: 403 }, HINT).message).toContain('grant "list" on "pods" in the ClusterRole');
    expect(apiError('kubernetes source', 'nodes.metrics.k8s.io', 'list', { code: 403 }, HINT).message).toContain('grant "list" on "nodes" in apiGroup "metrics.k8s.io"');
  });

  it('401 names the credentials source; transport errors ask whether the server is reachable', () => {
    const e = apiError('kubernetes source', 'pods', 'list', { code: 401 }, HINT);
    expect(e.code).toBe('TS_SOURCE_UNREACHABLE');
    expect(e.message).toContain(`rejected the credentials of ${HINT}`);
    const t = apiError('kubernetes source', 'pods', 'watch', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' }), HINT);
    expect(t.message).toContain('connect ECONNREFUSED 127.0.0.1:6443');
    expect(t.message).toContain('is the API server reachable');
  });
});
