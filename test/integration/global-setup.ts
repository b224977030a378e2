/**
 * Starts the shared real servers once per integration run and hands their addresses to tests
 * through vitest's provide/inject. Tests that kill or restart a server start their own.
 */
import type { TestProject } from 'vitest/node';
import { startAlertmanager, startPostgres, startPrometheus, startRedis, type ServerHandle } from '../support/stack.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string;
    redisUrl: string;
    prometheusUrl: string;
    alertmanagerUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started: ServerHandle[] = [];
  try {
    const [pg, redis, prom, am] = await Promise.all([startPostgres(), startRedis(), startPrometheus(), startAlertmanager()]);
    started.push(pg, redis, prom, am);
    project.provide('pgUrl', pg.url());
    project.provide('redisUrl', redis.url());
    project.provide('prometheusUrl', prom.url);
    project.provide('alertmanagerUrl', am.url);
  } catch (err) {
    await Promise.all(started.map((s) => s.destroy()));
    throw err;
  }
  return async () => {
    await Promise.all(started.map((s) => s.destroy()));
  };
}
