import { loadConfig } from '../config/index.js';
import { ConfigError } from '../lib/errors.js';

/** Validates each file independently and reports every problem of every file. */
export async function checkConfigFiles(files: readonly string[], env: NodeJS.ProcessEnv): Promise<{ ok: boolean; output: string }> {
  let ok = true;
  const out: string[] = [];
  for (const f of files) {
    try {
      const { config, file } = await loadConfig({ path: f, env });
      out.push(
        `${file}: ok — ${config.tenancy.tenants.length} tenants, ${config.sources.postgres.length} PostgreSQL, ${config.sources.redis.length} Redis, ${config.sources.traefik.length} Traefik source(s)${config.sources.kubernetes ? ', Kubernetes' : ''}`,
      );
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      ok = false;
      out.push(`${err.file ?? f}: ${err.issues.length} problem${err.issues.length === 1 ? '' : 's'}`);
      for (const i of err.issues) out.push(`  ${i.path || '(root)'}: ${i.message}`);
    }
  }
  return { ok, output: out.join('\n') + '\n' };
}
