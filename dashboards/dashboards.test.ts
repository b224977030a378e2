import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderDashboards, allDashboards } from './index.js';

export function dashboardQueries(): string[] {
  const out: string[] = [];
  for (const d of Object.values(allDashboards())) for (const p of d.panels ?? []) for (const t of (p as { targets?: { expr?: string }[] }).targets ?? []) if (t.expr) out.push(t.expr);
  return out;
}

describe('generated dashboards', () => {
  it('the committed JSON is up to date (run `tenantscope dashboards --out dashboards/generated`)', () => {
    for (const [file, text] of Object.entries(renderDashboards())) {
      expect(readFileSync(join(import.meta.dirname, 'generated', file), 'utf8'), file).toBe(text);
    }
  });

  it('every panel queries the chosen data source and has a unique uid per dashboard', () => {
    const uids = new Set<string>();
    for (const d of Object.values(allDashboards())) {
      expect(uids.has(d.uid!)).toBe(false);
      uids.add(d.uid!);
      for (const p of d.panels ?? []) if (p.type !== 'row') expect((p as { datasource?: { uid?: string } }).datasource?.uid, p.title).toBe('${datasource}');
    }
    expect(dashboardQueries().length).toBeGreaterThan(20);
  });
});
