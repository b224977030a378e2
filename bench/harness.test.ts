import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { writeResults } from './harness.js';

describe('writeResults', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    vi.restoreAllMocks();
  });

  it('refreshes a section in its place, keeps the others and orders new ones by kind', () => {
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const dir = mkdtempSync(join(tmpdir(), 'ts-results-'));
    dirs.push(dir);
    const path = join(dir, 'RESULTS.md');
    const at = new Date(Date.UTC(2026, 10, 23));
    writeResults(
      [
        { title: 'Analyzer evaluation (simulated)', markdown: 'sim v1' },
        { title: 'Analyzer evaluation (real servers)', markdown: 'real v1' },
        { title: 'Redis attribution', markdown: 'redis v1' },
      ],
      { quick: false, at, path },
    );
    writeResults([{ title: 'Analyzer evaluation (simulated)', markdown: 'sim v2' }, { title: 'PostgreSQL collection', markdown: 'pg v1' }], { quick: false, at, path });
    const text = readFileSync(path, 'utf8');
    const titles = [...text.matchAll(/^## (.*)$/gm)].map((m) => m[1]);
    expect(titles).toEqual(['PostgreSQL collection', 'Redis attribution', 'Analyzer evaluation (simulated)', 'Analyzer evaluation (real servers)']);
    expect(text).toContain('sim v2');
    expect(text).not.toContain('sim v1');
    expect(text).toContain('real v1');
  });
});
