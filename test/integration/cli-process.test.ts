/**
 * The main job as a user runs it: a real process, real signals. (In-process tests cover the rest.)
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

function startRun(signal: NodeJS.Signals) {
  const cwd = mkdtempSync(join(tmpdir(), 'ts-run-')); // no tenantscope.yaml here: the embedded default
  const proc = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), join(root, 'cli', 'main.ts'), 'run', '--listen', '127.0.0.1:0'], {
    cwd,
    env: { ...process.env, NODE_OPTIONS: '', TENANTSCOPE_CONFIG: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  const url = new Promise<string>((resolve, reject) => {
    proc.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /serving url=(\S+)/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    proc.once('exit', (code) => reject(new Error(`exited ${code} before serving:\n${stderr}`)));
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { url, exited, stop: () => proc.kill(signal), stderr: () => stderr };
}

describe('tenantscope run (process)', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)('serves /healthz and /metrics, then exits 0 on %s', async (signal) => {
    const p = startRun(signal);
    const url = await p.url;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain('tenantscope_build_info{version="0.1.0"');
    p.stop();
    expect(await p.exited).toBe(0);
    expect(p.stderr()).toContain('stopped cleanly');
    expect(p.stderr()).toContain('embedded default');
  });
});
