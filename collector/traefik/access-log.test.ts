import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AccessLogBatch, parseAccessLine } from './access-log.js';
import { traefikTestResolver } from './test-helpers.js';

const resolver = traefikTestResolver();
const resolve = resolver.traefik.bind(resolver);
const recorded = readFileSync(new URL('../../test/fixtures/traefik/access-log.jsonl', import.meta.url), 'utf8').split('\n');

const line = (o: Record<string, unknown>) =>
  JSON.stringify({ ClientHost: '10.0.0.1', DownstreamContentSize: 512, DownstreamStatus: 200, Duration: 12_000_000, RequestContentSize: 64, RequestHost: 'x.example.org', RequestMethod: 'GET', ...o });

describe('parseAccessLine on the recorded Traefik log', () => {
  it('reads object-form ServiceURL lines (Nikto scan, 2021)', () => {
    expect(parseAccessLine(recorded[0]!)).toEqual({
      status: 200,
      durationSeconds: 0.000357313,
      identity: { router: 'test@docker', service: 'test@docker', host: 'test.docker.localhost' },
      requestBytes: 0,
      responseBytes: 357,
    });
  });
  it('keeps the whole chained RouterName for the resolver', () => {
    const rec = parseAccessLine(recorded[2]!);
    expect(rec).toMatchObject({ status: 200, durationSeconds: 0.002001375, identity: { router: 'root@file -> intermediate1@file -> intermediate2@file -> leaf@file', service: 'whoami@file' } });
    expect(parseAccessLine(recorded[3]!)).toMatchObject({ identity: { router: 'parent@file -> child@file' } });
  });
  it('skips the non-JSON plugin line (the last one, without newline) with a reason', () => {
    expect(recorded).toHaveLength(5);
    expect(parseAccessLine(recorded[4]!)).toBe('not_json');
  });
  it.each([
    ['{"DownstreamStatus":200', 'invalid_json'],
    ['{"RouterName":"a"}', 'missing_status'],
    ['   [1,2]', 'not_json'],
    ['{"DownstreamStatus":"abc"}', 'missing_status'],
  ])('%j → %s', (l, reason) => expect(parseAccessLine(l)).toBe(reason));
});

describe('AccessLogBatch', () => {
  it('attributes by router, chained router, service and host; unmatched 404s by host or to _unattributed', () => {
    const b = new AccessLogBatch(resolve);
    b.add(line({ RouterName: 'acme-https@kubernetescrd', ServiceName: 'whatever@kubernetescrd' }));
    b.add(line({ RouterName: 'redirect@file -> globex-https@file', DownstreamStatus: 503, Duration: 2_500_000_000 }));
    b.add(line({ ServiceName: 'tenant-initech-odoo-8069@kubernetes', DownstreamStatus: 401 }));
    b.add(line({ DownstreamStatus: 404, RequestHost: 'hooli.erp.example.com:443' })); // no RouterName: matched no router
    b.add(line({ DownstreamStatus: 404, RequestHost: 'scanner.invalid' }));
    for (const l of recorded) b.add(l);
    expect(b.lines).toBe(9);
    expect(Object.fromEntries(b.errors)).toEqual({ not_json: 1 });
    const t = (id: string) => b.tenants.get(id);
    expect(Object.fromEntries(t('acme')!.requests)).toEqual({ '2xx': 1 });
    expect(Object.fromEntries(t('globex')!.requests)).toEqual({ '5xx': 1 });
    expect(t('globex')!.durationsSeconds).toEqual([2.5]);
    expect(t('initech')).toMatchObject({ authFailures: 1, requestBytes: 64, responseBytes: 512 });
    expect(Object.fromEntries(t('hooli')!.requests)).toEqual({ '4xx': 1 });
    expect(t('hooli')!.authFailures).toBe(0);
    // the scanner 404 and the four recorded lines (test@docker, whoami@file, api@file) match no rule
    expect(Object.fromEntries(t('_unattributed')!.requests)).toEqual({ '4xx': 1, '2xx': 4 });
    // isolation: every line went to exactly one tenant
    const total = [...b.tenants.values()].reduce((n, x) => n + [...x.requests.values()].reduce((a, c) => a + c, 0), 0);
    expect(total).toBe(9);
  });
});
