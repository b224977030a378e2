/**
 * Generated parts of the README, so they cannot drift: the configuration reference (from the zod
 * schema) and the metrics catalogue (from the metric factories, on a fresh registry).
 * `npm run docs` rewrites them; scripts/docs.test.ts fails when the README is stale.
 */
import { z } from 'zod';
import { Registry } from 'prom-client';
import { configSchema } from '../config/schema.js';
import { metricFamilies } from '../collector/catalog.js';

interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema | JsonSchema[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  additionalProperties?: JsonSchema | boolean;
  pattern?: string;
  format?: string;
}

function typeOf(s: JsonSchema): string {
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(' \\| ');
  const alts = s.anyOf ?? s.oneOf;
  if (alts) return [...new Set(alts.map(typeOf))].join(' or ');
  if (s.type === 'array') {
    const item = Array.isArray(s.items) ? s.items[0] : s.items;
    return item?.properties ? 'list' : `list of ${item ? typeOf(item) : 'any'}`;
  }
  if (s.type === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object' && !s.properties) return `map of ${typeOf(s.additionalProperties)}`;
  if (s.format === 'uri') return 'URL';
  return Array.isArray(s.type) ? s.type.join(' \\| ') : (s.type ?? 'any');
}

function rows(s: JsonSchema, path: string, out: string[][]): void {
  const alts = s.anyOf ?? s.oneOf;
  // one-or-many rules: document the object form
  const obj = alts?.find((a) => a.properties) ?? (s.type === 'array' && !Array.isArray(s.items) && s.items?.properties ? s.items : undefined) ?? s;
  const listSuffix = obj !== s && s.type === 'array' ? '[]' : '';
  if (path) {
    const def = s.default === undefined ? '' : `\`${JSON.stringify(s.default)}\``;
    out.push([`\`${path}${listSuffix}\``, alts && obj !== s ? 'one rule or a list' : typeOf(s), def, (s.description ?? obj.description ?? '').replace(/\|/g, '\\|')]);
  }
  if (obj.properties) for (const [k, v] of Object.entries(obj.properties)) rows(v, path ? `${path}${listSuffix}.${k}` : k, out);
}

export function configReference(): string {
  const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const out: string[][] = [];
  rows(schema, '', out);
  return ['| key | type | default | description |', '| --- | --- | --- | --- |', ...out.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

export async function metricsCatalogue(): Promise<string> {
  const registry = new Registry();
  metricFamilies(registry);
  const metrics = (await registry.getMetricsAsJSON()) as unknown as { name: string; type: string; help: string }[];
  const labelsOf = (name: string) => {
    const m = registry.getSingleMetric(name) as unknown as { labelNames?: string[] } | undefined;
    return (m?.labelNames ?? []).join(', ');
  };
  const body = [...metrics]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((m) => `| \`${m.name}\` | ${m.type} | ${labelsOf(m.name)} | ${m.help.replace(/\|/g, '\\|')} |`);
  return ['| metric | type | labels | meaning |', '| --- | --- | --- | --- |', ...body].join('\n');
}

export function replaceBetween(text: string, marker: string, content: string): string {
  const begin = `<!-- BEGIN GENERATED: ${marker} -->`;
  const end = `<!-- END GENERATED: ${marker} -->`;
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  if (i < 0 || j < i) throw new Error(`README has no ${begin} … ${end} block`);
  return text.slice(0, i + begin.length) + '\n' + content + '\n' + text.slice(j);
}

export async function renderReadme(readme: string): Promise<string> {
  return replaceBetween(replaceBetween(readme, 'config', configReference()), 'metrics', await metricsCatalogue());
}
