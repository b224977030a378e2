/**
 * `npm run bench [-- name…] [-- --quick]`: runs the benchmarks, each side by side with its peer,
 * and writes bench/RESULTS.md with the machine and date. Timed here, never in tests.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { machine, type Bench, type BenchSection } from './harness.js';

const BENCHES = ['postgres', 'redis', 'exposition', 'analyzer'] as const;
const registry: Record<string, () => Promise<{ default: Bench }>> = Object.fromEntries(
  BENCHES.map((b) => [b, () => import(`./${b}.js`) as Promise<{ default: Bench }>]),
);

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const names = args.filter((a) => !a.startsWith('--'));
  const selected = names.length ? names : Object.keys(registry);
  const sections: BenchSection[] = [];
  const started = new Date();
  for (const name of selected) {
    const load = registry[name];
    if (!load) throw new Error(`unknown bench "${name}" — one of ${Object.keys(registry).join(', ')}`);
    let mod: { default: Bench };
    try {
      mod = await load();
    } catch (err) {
      process.stderr.write(`bench ${name}: not available (${(err as Error).message.split('\n')[0]})\n`);
      continue;
    }
    process.stderr.write(`bench ${name}: running\n`);
    const t0 = performance.now();
    sections.push(await mod.default({ quick, progress: (m) => process.stderr.write(`  ${name}: ${m}\n`) }));
    process.stderr.write(`bench ${name}: done in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  }
  const out = [
    '# Benchmark results',
    '',
    `Machine: ${machine()}  `,
    `Date: ${started.toISOString()}${quick ? ' (quick mode: reduced sizes)' : ''}  `,
    'Produced by `npm run bench`; every figure below comes from that run. Each section measures tenantscope and its named peer in the same run on the same server.',
    '',
    ...sections.flatMap((s) => [`## ${s.title}`, '', s.markdown, '']),
  ].join('\n');
  const path = join(dirname(fileURLToPath(import.meta.url)), 'RESULTS.md');
  if (names.length && !quick) {
    process.stdout.write(out + '\n');
    process.stderr.write(`(partial run: RESULTS.md not overwritten; run without names to refresh it)\n`);
  } else if (!quick) {
    writeFileSync(path, out + '\n');
    process.stderr.write(`wrote ${path}\n`);
  } else process.stdout.write(out + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
