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
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CLIENT_SOURCE = join(ROOT, 'collector', 'kubernetes', 'client.ts');
export const CLIENT_OUTFILE = join(ROOT, 'dist', 'collector', 'kubernetes', 'client.js');

/** client-node's runtime dependencies: left as imports, so the bundle holds client-node's code alone */
function clientNodeDependencies(): string[] {
  const require = createRequire(CLIENT_SOURCE);
  const pkgPath = join(dirname(require.resolve('@kubernetes/client-node')), '..', 'package.json');
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { name?: string; dependencies?: Record<string, string> };
  if (pkg.name !== '@kubernetes/client-node') throw new Error(`bundle: expected @kubernetes/client-node's package.json at ${pkgPath}, found ${pkg.name ?? 'no name'}; is node_modules installed (npm ci)?`);
  return Object.keys(pkg.dependencies ?? {});
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
    external: clientNodeDependencies(),
    sourcemap: true,
    metafile: true,
    logLevel: 'warning',
    legalComments: 'inline',
  });
  return Object.values(r.metafile.outputs).reduce((n, o) => n + (o.entryPoint ? o.bytes : 0), 0);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const out = process.argv[2] ?? CLIENT_OUTFILE;
  const bytes = await bundleKubernetesClient(out);
  process.stdout.write(`bundled @kubernetes/client-node for the collector: ${out} (${(bytes / 2 ** 20).toFixed(1)} MiB)\n`);
}
