/**
 * The build's second step (`npm run build`: tsc, then this): replaces the compiled
 * dist/collector/kubernetes/client.js, a re-export of @kubernetes/client-node, with an esbuild
 * bundle of what those exports reach. client-node itself is bundled (its unused generated APIs
 * and their sources are dropped); its own dependencies stay imports, resolved from node_modules
 * as before. See collector/kubernetes/client.ts for why.
 *
 *   tsx scripts/bundle.ts [outfile]   (default: dist/collector/kubernetes/client.js)
 */
import { build } from 'esbuild';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isEntryModule } from '../lib/entry.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CLIENT_SOURCE = join(ROOT, 'collector', 'kubernetes', 'client.ts');
export const CLIENT_OUTFILE = join(ROOT, 'dist', 'collector', 'kubernetes', 'client.js');

/** the directory of package `name` as Node resolves it from `dir`: the first node_modules/<name> up the tree */
function packageDirFrom(dir: string, name: string): string | undefined {
  for (let d = dir; ; d = dirname(d)) {
    const candidate = join(d, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    if (dirname(d) === d) return undefined;
  }
}

/**
 * client-node's runtime dependencies: left as imports, so the bundle holds client-node's code alone.
 * They must resolve from `outfile` to the same copies client-node itself gets: a dependency npm
 * nested under client-node (another version than the top-level one) would silently change.
 */
function clientNodeDependencies(outfile: string): string[] {
  const require = createRequire(CLIENT_SOURCE);
  const pkgDir = join(dirname(require.resolve('@kubernetes/client-node')), '..');
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { name?: string; dependencies?: Record<string, string> };
  if (pkg.name !== '@kubernetes/client-node') throw new Error(`bundle: expected @kubernetes/client-node's package.json in ${pkgDir}, found ${pkg.name ?? 'no name'}; is node_modules installed (npm ci)?`);
  const deps = Object.keys(pkg.dependencies ?? {});
  for (const d of deps) {
    // type declarations (@types/node) are never imported at run time
    if (d.startsWith('@types/')) continue;
    const own = packageDirFrom(pkgDir, d);
    const fromBundle = packageDirFrom(dirname(outfile), d);
    if (own !== fromBundle) throw new Error(`bundle: @kubernetes/client-node's dependency ${d} resolves to ${own ?? 'nothing'} from the package but to ${fromBundle ?? 'nothing'} from ${outfile}; the bundle would run another copy. Reinstall (rm -rf node_modules && npm ci) so npm hoists it, or bundle ${d} too`);
  }
  return deps;
}

/**
 * Bundles collector/kubernetes/client.ts into `outfile` (ESM, Node 20). The file must sit inside
 * the project tree so that client-node's dependencies resolve from its node_modules.
 * Returns the bundle's size in bytes.
 */
export async function bundleKubernetesClient(outfile = CLIENT_OUTFILE): Promise<number> {
  const r = await build({
    entryPoints: [CLIENT_SOURCE],
    outfile,
    allowOverwrite: true,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: clientNodeDependencies(outfile),
    sourcemap: true,
    metafile: true,
    logLevel: 'warning',
    legalComments: 'inline',
  });
  return Object.values(r.metafile.outputs).reduce((n, o) => n + (o.entryPoint ? o.bytes : 0), 0);
}

if (isEntryModule(import.meta.url)) {
  const out = process.argv[2] ?? CLIENT_OUTFILE;
  const bytes = await bundleKubernetesClient(out);
  process.stdout.write(`bundled @kubernetes/client-node for the collector: ${out} (${(bytes / 2 ** 20).toFixed(1)} MiB)\n`);
}
