import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{cli,config,telemetry,tenancy,collector,store,analyzer,rebalancer,dashboards,alerts,server,lib,scripts,deploy,bench}/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Servers are shared per run; files run one at a time so load tests do not skew each other.
          fileParallelism: false,
        },
      },
    ],
  },
});
