/**
 * Reading a prom-client registry in tests: the samples of one family, and those whose labels include
 * a given set (label values compared as strings).
 */
import type { Registry } from 'prom-client';

export interface Sample {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

/** every sample of `name` (none when the family is not registered) */
export async function samples(registry: Registry, name: string): Promise<Sample[]> {
  return ((await registry.getSingleMetric(name)?.get())?.values ?? []) as Sample[];
}

const matches = (s: Sample, match: Record<string, string>) => Object.entries(match).every(([k, x]) => String(s.labels[k]) === x);

/** the value of the first sample of `name` whose labels include `match`; undefined when none */
export async function sampleValue(registry: Registry, name: string, match: Record<string, string>): Promise<number | undefined> {
  return (await samples(registry, name)).find((s) => matches(s, match))?.value;
}

/** the sum of the samples of `name` whose labels include `match`; undefined when none */
export async function sampleSum(registry: Registry, name: string, match: Record<string, string>): Promise<number | undefined> {
  const hit = (await samples(registry, name)).filter((s) => matches(s, match));
  return hit.length ? hit.reduce((a, s) => a + s.value, 0) : undefined;
}
