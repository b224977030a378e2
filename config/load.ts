/**
 * Reading a config: file → YAML → env overrides → schema → typed Config.
 * Every problem is collected and reported at once as `path: message`, with a remedy.
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { homedir } from 'node:os';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { ConfigError, redactUrl, type ConfigIssue } from '../lib/errors.js';
import { configSchema, type Config } from './schema.js';

export interface LoadedConfig {
  config: Config;
  /** absolute path of the file read, or undefined for the embedded default */
  file: string | undefined;
  origin: 'file' | 'embedded';
}

export interface LoadOptions {
  /** --config; falls back to TENANTSCOPE_CONFIG, then ./tenantscope.yaml, then the embedded default */
  path?: string | undefined;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export const DEFAULT_CONFIG_FILE = 'tenantscope.yaml';

export async function loadConfig(opts: LoadOptions = {}): Promise<LoadedConfig> {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const explicit = opts.path ?? env.TENANTSCOPE_CONFIG;
  let file: string | undefined;
  if (explicit) file = resolve(cwd, expandHome(explicit));
  else if (existsSync(resolve(cwd, DEFAULT_CONFIG_FILE))) file = resolve(cwd, DEFAULT_CONFIG_FILE);

  if (!file) return { config: parseConfig({}, { env }), file: undefined, origin: 'embedded' };

  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const remedy =
      code === 'ENOENT'
        ? 'check the path given by --config or TENANTSCOPE_CONFIG'
        : code === 'EACCES'
          ? 'make the file readable by this user'
          : 'check the file';
    throw new ConfigError([{ path: '(file)', message: `cannot read ${file}: ${code ?? (err as Error).message} — ${remedy}` }], file, { cause: err });
  }
  return { config: parseConfigText(text, { env, file }), file, origin: 'file' };
}

export function parseConfigText(text: string, opts: { env?: NodeJS.ProcessEnv; file?: string } = {}): Config {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        return { path: pos ? `(yaml line ${pos.line}, column ${pos.col})` : '(yaml)', message: `${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')} — fix the YAML syntax` };
      }),
      opts.file,
    );
  }
  const data: unknown = doc.toJS() ?? {};
  return parseConfig(data, opts);
}

export function parseConfig(data: unknown, opts: { env?: NodeJS.ProcessEnv; file?: string } = {}): Config {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ConfigError([{ path: '(root)', message: `expected a mapping of keys (server, tenancy, sources, …), got ${describe(data)}` }], opts.file);
  }
  const withEnv = applyEnvOverrides(structuredClone(data) as Record<string, unknown>, opts.env ?? process.env);
  const result = configSchema.safeParse(withEnv, { reportInput: true });
  if (!result.success) throw new ConfigError(formatIssues(result.error.issues, withEnv), opts.file);
  return result.data;
}

/** TENANTSCOPE_<KIND>_URL_<NAME>: secrets stay out of the file. NAME is the source name upper-cased, non-alphanumerics as "_". */
export function envKey(kind: 'PG' | 'REDIS', sourceName: string): string {
  return `TENANTSCOPE_${kind}_URL_${sourceName.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

function applyEnvOverrides(data: Record<string, unknown>, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const sources = data.sources as Record<string, unknown> | undefined;
  const patch = (list: unknown, kind: 'PG' | 'REDIS') => {
    if (!Array.isArray(list)) return;
    for (const s of list) {
      if (s && typeof s === 'object' && typeof (s as { name?: unknown }).name === 'string') {
        const v = env[envKey(kind, (s as { name: string }).name)];
        if (v) (s as { url?: string }).url = v;
      }
    }
  };
  if (sources && typeof sources === 'object') {
    patch(sources.postgres, 'PG');
    patch(sources.redis, 'REDIS');
    if (env.TENANTSCOPE_PROMETHEUS_URL && sources.prometheus && typeof sources.prometheus === 'object') {
      (sources.prometheus as { url?: string }).url = env.TENANTSCOPE_PROMETHEUS_URL;
    }
  }
  if (env.TENANTSCOPE_STORAGE_URL) {
    const storage = (data.storage && typeof data.storage === 'object' ? data.storage : (data.storage = {})) as { url?: string };
    storage.url = env.TENANTSCOPE_STORAGE_URL;
  }
  return data;
}

let knownKeys: string[] | undefined;
function allKeys(): string[] {
  if (knownKeys) return knownKeys;
  const keys = new Set<string>();
  const walk = (node: unknown) => {
    if (!node || typeof node !== 'object') return;
    const props = (node as { properties?: Record<string, unknown> }).properties;
    if (props) for (const k of Object.keys(props)) keys.add(k);
    for (const v of Object.values(node)) walk(v);
  };
  walk(z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }));
  knownKeys = [...keys];
  return knownKeys;
}

function distance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

function suggest(key: string): string {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of allKeys()) {
    const d = distance(key.toLowerCase(), k.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best && bestD <= Math.max(2, Math.floor(key.length / 3)) ? ` — did you mean "${best}"?` : ' — remove it or check the spelling against the README configuration reference';
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') {
    // a URL may carry a password: messages show it redacted
    const shown = /^[a-z][a-z0-9+.-]*:\/\//i.test(v) ? redactUrl(v) : v;
    return `the string ${JSON.stringify(shown.length > 60 ? shown.slice(0, 57) + '...' : shown)}`;
  }
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${String(v)}`;
}

/** `sources.postgres[0].url`; an index into a value the user wrote as a single object is dropped. */
export function formatPath(path: readonly PropertyKey[], input: unknown): string {
  let out = '';
  let cur: unknown = input;
  for (const seg of path) {
    if (typeof seg === 'number') {
      if (Array.isArray(cur)) {
        out += `[${seg}]`;
        cur = cur[seg];
      }
      // else: a one-or-many rule written as one object; the index is ours, not the user's
    } else {
      out += out ? `.${String(seg)}` : String(seg);
      cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[String(seg)] : undefined;
    }
  }
  return out;
}

function formatIssues(issues: readonly z.core.$ZodIssue[], input: unknown): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
    const path = formatPath(issue.path, input);
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const k of issue.keys) out.push({ path: path ? `${path}.${k}` : k, message: `unknown key${suggest(k)}` });
        break;
      case 'invalid_type': {
        const got = (issue as { input?: unknown }).input;
        out.push({
          path,
          message: got === undefined ? `required (${issue.expected}) — add it` : `expected ${issue.expected}, got ${describe(got)}`,
        });
        break;
      }
      case 'invalid_union': {
        // a one-or-many rule: report the branch that matches what the user wrote
        const errs = (issue as { errors?: z.core.$ZodIssue[][] }).errors ?? [];
        const atPath = issue.path.reduce<unknown>((v, s) => (v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[s] : undefined), input);
        const branch = Array.isArray(atPath) ? errs[1] : errs[0];
        if (branch && branch.length > 0) out.push(...formatIssues(branch.map((e) => ({ ...e, path: [...issue.path, ...e.path] })), input));
        else out.push({ path, message: issue.message });
        break;
      }
      case 'invalid_value':
        out.push({ path, message: `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describe((issue as { input?: unknown }).input)}` });
        break;
      case 'invalid_format':
      case 'too_small':
      case 'too_big': {
        const got = (issue as { input?: unknown }).input;
        out.push({ path, message: got === undefined ? issue.message : `${issue.message}, got ${describe(got)}` });
        break;
      }
      default:
        out.push({ path, message: issue.message });
    }
  }
  return out;
}

export function expandHome(p: string): string {
  return p === '~' ? homedir() : p.startsWith('~/') ? resolve(homedir(), p.slice(2)) : p;
}
