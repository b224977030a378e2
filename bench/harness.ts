/**
 * Shared pieces of `npm run bench`: each bench module measures tenantscope side by side with its
 * named peer in the same run and returns a markdown section; bench/run.ts writes bench/RESULTS.md.
 */
import { cpus, totalmem, release } from 'node:os';

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

/** CPU time (user+system, seconds) of a process from /proc, for peers and servers we started. */
export async function processCpuSeconds(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  return ticks / 100; // USER_HZ is 100 on Linux x86_64
}
