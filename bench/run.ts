/**
 * `npm run bench [-- name…] [-- --quick]`: runs the benchmarks, each side by side with its peer,
 * and writes bench/RESULTS.md with the machine and date. Timed here, never in tests.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
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
    try {
      sections.push(await mod.default({ quick, progress: (m) => process.stderr.write(`  ${name}: ${m}\n`) }));
      process.stderr.write(`bench ${name}: done in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    } catch (err) {
      // one failing bench must not throw away the others' figures
      process.exitCode = 1;
      process.stderr.write(`bench ${name}: FAILED: ${(err as Error).stack ?? String(err)}\n`);
    }
  }
  const path = join(dirname(fileURLToPath(import.meta.url)), 'RESULTS.md');
  if (quick) {
    process.stdout.write(render(sections.map((x) => ({ ...x, stamp: stamp(started, true) }))) + '\n');
    return;
  }
  // a run of some benches replaces their sections and keeps the others, each with its own date line
  const previous = existsSync(path) ? parseSections(readFileSync(path, 'utf8')) : [];
  const fresh = sections.map((x) => ({ ...x, stamp: stamp(started, false) }));
  const merged = [...previous.filter((p) => !fresh.some((f) => f.title === p.title)), ...fresh].sort((a, b) => order(a.title) - order(b.title));
  writeFileSync(path, render(merged) + '\n');
  process.stderr.write(`wrote ${path} (${fresh.length} section(s) refreshed)\n`);
}

const TITLE_ORDER = ['PostgreSQL', 'Redis', 'Exposition', 'Analyzer'];
const order = (title: string) => {
  const i = TITLE_ORDER.findIndex((t) => title.toLowerCase().includes(t.toLowerCase()));
  return i < 0 ? TITLE_ORDER.length : i;
};

function stamp(at: Date, quick: boolean): string {
  return `Measured ${at.toISOString()}${quick ? ' (quick mode: reduced sizes)' : ''} on ${machine()}.`;
}

interface Stamped extends BenchSection {
  stamp: string;
}

function render(sections: Stamped[]): string {
  return [
    '# Benchmark results',
    '',
    'Produced by `npm run bench` (or `npm run bench -- <name>` for one section); every figure below comes from such a run, and each',
    'section measures tenantscope and its named peer in the same run on the same server. Each section carries its own date and machine.',
    '',
    ...sections.flatMap((x) => [`## ${x.title}`, '', `_${x.stamp}_`, '', x.markdown.trim(), '']),
  ].join('\n');
}

function parseSections(text: string): Stamped[] {
  const out: Stamped[] = [];
  const parts = text.split(/^## /m).slice(1);
  for (const part of parts) {
    const nl = part.indexOf('\n');
    const title = part.slice(0, nl).trim();
    let body = part.slice(nl + 1).trim();
    const m = /^_(Measured [^\n]*)_\n/.exec(body);
    const stamp = m ? m[1]! : 'Measured at an unknown date.';
    if (m) body = body.slice(m[0].length).trim();
    out.push({ title, markdown: body, stamp });
  }
  return out;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
