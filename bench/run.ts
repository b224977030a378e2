/**
 * `npm run bench [-- name…] [-- --quick]`: runs the benchmarks, each side by side with its peer,
 * and writes bench/RESULTS.md with the machine and date. Timed here, never in tests.
 */
import { writeResults, type Bench, type BenchSection } from './harness.js';

const BENCHES = ['postgres', 'redis', 'exposition', 'collector', 'analyzer', 'sessions'] as const;
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
    try {
      sections.push(await mod.default({ quick, progress: (m) => process.stderr.write(`  ${name}: ${m}\n`) }));
      process.stderr.write(`bench ${name}: done in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    } catch (err) {
      // one failing bench must not throw away the others' figures
      process.exitCode = 1;
      process.stderr.write(`bench ${name}: FAILED: ${(err as Error).stack ?? String(err)}\n`);
    }
  }
  writeResults(sections, { quick, at: started });
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
