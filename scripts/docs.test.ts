import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderReadme, replaceBetween } from './docs.js';

describe('generated README sections', () => {
  it('are up to date (run `npm run docs` after changing the config schema or a metric family)', async () => {
    const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
    expect(await renderReadme(readme)).toBe(readme);
  });

  it('name every config key and metric family with its description', async () => {
    const readme = await renderReadme(readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8'));
    expect(readme).toContain('| `sources.postgres[].url` | string |  | connection URL of a role with pg_monitor');
    expect(readme).toContain('| `collector.scrapeIntervalMs` | integer | `15000` |');
    expect(readme).toMatch(/\| `tenantscope_pg_wait_load_seconds_total` \| counter \| tenant, pg_cluster, datname, wait_event_type \|/);
  });

  it('refuses a README without the markers', () => {
    expect(() => replaceBetween('no markers', 'config', 'x')).toThrow(/no <!-- BEGIN GENERATED: config -->/);
  });
});
