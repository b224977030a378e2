#!/usr/bin/env node
/**
 * tenantscope CLI. Exit codes, decided here only: 0 ok, 1 runtime failure, 2 bad input or config.
 */
import { Command, CommanderError, Option } from 'commander';
import { loadConfig, type LoadedConfig } from '../config/index.js';
import { ConfigError, TenantscopeError, describeError } from '../lib/errors.js';
import { createLogger, type Logger } from '../lib/log.js';
import { isEntryModule } from '../lib/entry.js';
import { systemClock } from '../lib/clock.js';
import { createRuntime } from './runtime.js';
import { parseShard } from '../collector/shard.js';
import { createTenantResolver } from '../tenancy/index.js';
// Each command imports what only it uses when it runs (analyzer, dashboards SDK, rules, schema
// checks): `collect` and `run` in a pod do not hold the code of the others (bench/RESULTS.md,
// "Collector process", measures the process as deployed).
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';

async function writeOrPrint(text: string, out: string | undefined, io: CliIO): Promise<void> {
  if (!out) return io.stdout(text);
  const { writeFile } = await import('node:fs/promises');
  try {
    await writeFile(out, text);
  } catch (err) {
    throw new TenantscopeError('TS_REQUEST_INVALID', `cannot write ${out}: ${describeError(err)} — check the directory exists and is writable (--out)`, { cause: err, exitCode: 2 });
  }
  io.stderr(`wrote ${out}\n`);
}

export interface CliIO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  env: NodeJS.ProcessEnv;
  /** resolves when the process is asked to stop (SIGINT/SIGTERM); tests pass their own */
  untilSignal: () => Promise<string>;
}

const defaultIO: CliIO = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  env: process.env,
  untilSignal: () =>
    new Promise((resolve) => {
      const on = (sig: string) => {
        // a second Ctrl-C while stopping exits at once
        process.once('SIGINT', () => process.exit(130));
        resolve(sig);
      };
      process.once('SIGINT', () => on('SIGINT'));
      process.once('SIGTERM', () => on('SIGTERM'));
    }),
};

async function load(path: string | undefined, io: CliIO, logger: Logger): Promise<LoadedConfig> {
  const loaded = await loadConfig({ path, env: io.env });
  if (loaded.origin === 'embedded') logger.info('no config file (--config, TENANTSCOPE_CONFIG or ./tenantscope.yaml): using the embedded default');
  else logger.info('config loaded', { file: loaded.file });
  return loaded;
}

export function buildProgram(io: CliIO = defaultIO): Command {
  const logger = createLogger({ write: (l) => io.stderr(l + '\n') });
  const program = new Command('tenantscope')
    .description('Tenant-aware observability and noisy-neighbor analysis for multi-tenant platforms')
    .version('0.1.0')
    .addOption(new Option('-c, --config <file>', 'configuration file (default: $TENANTSCOPE_CONFIG or ./tenantscope.yaml)'))
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride()
    .showHelpAfterError('(add --help for usage)');

  program
    .command('run')
    .description('collect, analyze and serve /metrics, /healthz and the API until stopped (the main job); with no sources, runs the simulated fleet')
    .option('--listen <host:port>', 'override server.listen')
    .option('--shard <i/n>', 'this replica watches the sources whose stable hash falls to shard i of n (0-based)')
    .action(async (opts: { listen?: string; shard?: string }) => {
      const { config } = await load(program.opts<{ config?: string }>().config, io, logger);
      const shard = opts.shard ? parseShard(opts.shard) : undefined;
      const runtime = createRuntime({ config, clock: systemClock, logger, listen: opts.listen, env: io.env, shard });
      if (runtime.mode.startsWith('simulated')) {
        logger.info(`running on the built-in ${runtime.mode} — no real source is configured; see README "Configuration" to watch yours`);
      }
      await runtime.start();
      const sig = await io.untilSignal();
      logger.info('stopping', { signal: sig });
      await runtime.stop();
      logger.info('stopped cleanly');
    });

  program
    .command('collect')
    .description('run the collectors only and serve their /metrics (no analysis); --once prints one exposition and exits')
    .option('--listen <host:port>', 'override server.listen')
    .option('--once', 'collect once, print the exposition to stdout and exit')
    .option('--shard <i/n>', 'this replica watches the sources whose stable hash falls to shard i of n (0-based)')
    .action(async (opts: { listen?: string; once?: boolean; shard?: string }) => {
      const { config } = await load(program.opts<{ config?: string }>().config, io, logger);
      const shard = opts.shard ? parseShard(opts.shard) : undefined;
      const runtime = createRuntime({ config, clock: systemClock, logger, listen: opts.listen, collectOnly: true, env: io.env, shard });
      if (opts.once) return io.stdout(await runtime.collectOnce());
      await runtime.start();
      await io.untilSignal();
      await runtime.stop();
    });

  program
    .command('analyze')
    .description('analyze a past window and print the findings and bands (contract JSON or a table with a chart)')
    .option('--from <time>', 'start: RFC 3339, Unix seconds, or an age such as 2h (default: 1 h before --to)')
    .option('--to <time>', 'end: RFC 3339, Unix seconds, or an age (default: now)')
    .addOption(new Option('--format <format>', 'output format').choices(['json', 'table']).default('table'))
    .option('--replay <file>', 'read signals from a replay file (JSON lines) instead of the query API or the embedded snapshot')
    .action(async (opts: { from?: string; to?: string; format: 'json' | 'table'; replay?: string }) => {
      const { config } = await load(program.opts<{ config?: string }>().config, io, logger);
      const { runAnalyze, renderTable } = await import('./analyze.js');
      const resolver = createTenantResolver(config.tenancy);
      const { result, source } = await runAnalyze(config, opts, { resolver, clock: systemClock, logger });
      io.stdout(opts.format === 'json' ? JSON.stringify(result, null, 2) + '\n' : await renderTable(result, source));
    });

  program
    .command('alerts')
    .description('print (or write) the Prometheus recording and alerting rules for tenantscope metrics')
    .option('--out <file>', 'write to this file instead of stdout')
    .action(async (opts: { out?: string }) => {
      const { renderRules } = await import('../alerts/index.js');
      await writeOrPrint(renderRules(), opts.out, io);
    });

  program
    .command('dashboards')
    .description('write the Grafana dashboards (JSON) for tenantscope metrics into a directory, or list them')
    .option('--out <dir>', 'directory to write tenant.json, shared-resources.json, self.json into')
    .action(async (opts: { out?: string }) => {
      const { renderDashboards } = await import('../dashboards/index.js');
      const rendered = renderDashboards();
      if (!opts.out) return io.stdout(Object.keys(rendered).join('\n') + '\n(use --out DIR to write them)\n');
      await mkdir(opts.out, { recursive: true }).catch(() => undefined); // writeOrPrint names the problem if it persists
      for (const [file, text] of Object.entries(rendered)) await writeOrPrint(text, join(opts.out, file), io);
    });

  program
    .command('check-config')
    .description('validate configuration files; prints every problem as path: message and exits 2 if any')
    .argument('[files...]', 'files to check (default: the one --config / TENANTSCOPE_CONFIG / ./tenantscope.yaml names)')
    .action(async (files: string[]) => {
      const targets = files.length ? files : [program.opts<{ config?: string }>().config ?? io.env.TENANTSCOPE_CONFIG ?? 'tenantscope.yaml'];
      const { checkConfigFiles } = await import('./check-config.js');
      const { ok, output } = await checkConfigFiles(targets, io.env);
      io.stdout(output);
      if (!ok) throw new ConfigError([], undefined);
    });

  return program;
}

/** Runs the CLI and returns the exit code (0 ok, 1 runtime failure, 2 bad input). */
export async function main(argv: string[], io: CliIO = defaultIO): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version are not failures; usage errors are bad input
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof ConfigError && err.issues.length === 0) return 2; // check-config already printed
    if (err instanceof TenantscopeError) {
      io.stderr(`tenantscope: ${err.message}\n`);
      return err.exitCode;
    }
    io.stderr(`tenantscope: unexpected failure: ${describeError(err)}\n${(err as Error).stack ?? ''}\n`);
    return 1;
  }
}

if (isEntryModule(import.meta.url)) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
