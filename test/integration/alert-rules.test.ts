/**
 * The generated rules are valid for the real promtool and behave as their unit tests say; the
 * example routing tree is valid for the real amtool. A missing binary fails with the install command.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { findBinary } from '../support/stack.js';

const alerts = join(import.meta.dirname, '..', '..', 'alerts');

function run(bin: string, args: string[]): string {
  try {
    return execFileSync(bin, args, { encoding: 'utf8', stdio: 'pipe' });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    throw new Error(`${bin} ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

describe('alert rules with the real Prometheus tools', () => {
  it('promtool check rules accepts the generated file', () => {
    const out = run(findBinary('promtool'), ['check', 'rules', join(alerts, 'generated', 'tenantscope.rules.yaml')]);
    expect(out).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('promtool test rules passes every case', () => {
    expect(run(findBinary('promtool'), ['test', 'rules', join(alerts, 'tests', 'tenantscope.test.yml')])).toContain('SUCCESS');
  });

  it('amtool check-config accepts the example routing tree', () => {
    expect(run(findBinary('amtool'), ['check-config', join(alerts, 'alertmanager.example.yml')])).toContain('SUCCESS');
  });
});
