/**
 * Shared pieces of `npm run bench`: each bench module measures tenantscope side by side with its
 * named peer in the same run and returns a markdown section; bench/run.ts writes bench/RESULTS.md.
 */
import { cpus, totalmem, release } from 'node:os';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface BenchSection {
  /** section title, e.g. "PostgreSQL collection vs prometheus-postgres-exporter" */
  title: string;
  /** markdown body: a table with absolute figures and ratios, and a line on the method */
  markdown: string;
}

export interface BenchContext {
  /** one progress line on stderr (long work shows progress) */
  progress(message: string): void;
  /** quick mode for smoke runs: smaller sizes, same code paths */
  quick: boolean;
}

export type Bench = (ctx: BenchContext) => Promise<BenchSection>;

export function machine(): string {
  const c = cpus();
  return `${c.length} × ${c[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${release()}, Node ${process.version}`;
}

/** a full GC, so one phase's garbage (or young objects) is not billed to the next timed one */
export function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1));
  return s[i]!;
}

export function table(head: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const fmt = (v: string | number) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(4)) : v);
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map(fmt).join(' | ')} |`)].join('\n');
}

/** CPU time (user+system, seconds) of a process and of its finished, waited-for children, from /proc, for peers and servers we started. */
export async function processCpuSeconds(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  return ticks / 100; // USER_HZ is 100 on Linux x86_64
}

export const RESULTS_PATH = join(dirname(fileURLToPath(import.meta.url)), 'RESULTS.md');

/**
 * Writes sections into bench/RESULTS.md: a run of some benches (or the evaluation) replaces its own
 * sections and keeps the others, each with its own date and machine line. Quick runs only print.
 */
export function writeResults(sections: readonly BenchSection[], opts: { quick: boolean; at: Date; path?: string }): void {
  const path = opts.path ?? RESULTS_PATH;
  const fresh = sections.map((x) => ({ ...x, stamp: stamp(opts.at, opts.quick) }));
  if (opts.quick) {
    process.stdout.write(render(fresh) + '\n');
    return;
  }
  const previous = existsSync(path) ? parseSections(readFileSync(path, 'utf8')) : [];
  // a refreshed section keeps its place; new ones go after the others of their kind (the sort is stable)
  const merged = [...previous.map((p) => fresh.find((f) => f.title === p.title) ?? p), ...fresh.filter((f) => !previous.some((p) => p.title === f.title))].sort(
    (a, b) => order(a.title) - order(b.title),
  );
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

