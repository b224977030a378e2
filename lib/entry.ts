import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Whether the module at `moduleUrl` (its `import.meta.url`) is the script Node was started with.
 * Real paths on both sides: `import.meta.url` is resolved through symlinks, `process.argv[1]` is
 * not (the bin is usually node_modules/.bin/tenantscope; a checkout may sit behind a symlink).
 */
export function isEntryModule(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false; // argv[1] is not a file (node -e, a REPL)
  }
}
