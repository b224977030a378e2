/**
 * `npm run stack [-- postgres redis prometheus alertmanager]`: starts the real local stack on
 * loopback (free ports, temp dirs, PostgreSQL as a non-root user) for trying tenantscope by hand,
 * prints a matching tenantscope.yaml fragment, and removes everything on Ctrl-C.
 */
import { startAlertmanager, startPostgres, startPrometheus, startRedis, type ServerHandle } from '../test/support/stack.js';

const wanted = new Set(process.argv.slice(2).length ? process.argv.slice(2) : ['postgres', 'redis', 'prometheus', 'alertmanager']);
const started: ServerHandle[] = [];
const lines: string[] = [];

async function main(): Promise<void> {
  if (wanted.has('postgres')) {
    const pg = await startPostgres();
    started.push(pg);
    lines.push(`  postgres: [ { name: pg-local, url: "${pg.url()}" } ]`);
  }
  if (wanted.has('redis')) {
    const r = await startRedis();
    started.push(r);
    lines.push(`  redis: [ { name: redis-local, url: "${r.url()}" } ]`);
  }
  let extra = '';
  if (wanted.has('prometheus')) {
    const p = await startPrometheus();
    started.push(p);
    lines.push(`  prometheus: { url: "${p.url}" }`);
  }
  if (wanted.has('alertmanager')) {
    const a = await startAlertmanager();
    started.push(a);
    extra = `alertmanager: { url: "${a.url}" }\n`;
  }
  process.stdout.write(`# local stack is up; a tenantscope.yaml for it:\nsources:\n${lines.join('\n')}\n${extra}# Ctrl-C stops and removes it\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

main()
  .catch((err: unknown) => {
    process.stderr.write(`stack: ${(err as Error).message}\n`);
    process.exitCode = 1;
  })
  .finally(async () => {
    await Promise.all(started.map((s) => s.destroy()));
  });
