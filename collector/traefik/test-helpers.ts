/** Shared by this folder's unit tests: a resolver with the reference user's Traefik rules. */
import { configSchema } from '../../config/index.js';
import { createTenantResolver, type TenantResolver } from '../../tenancy/index.js';

export function traefikTestResolver(): TenantResolver {
  const cfg = configSchema.parse({
    tenancy: {
      rules: {
        traefik: [
          { router: '^(?<tenant>[a-z0-9]+)-https' },
          { service: '^tenant-(?<tenant>[a-z0-9]+)-odoo' },
          { host: '^(?<tenant>[a-z0-9]+)\\.erp\\.example\\.com$' },
        ],
        namespace: { name: '^tenant-(?<tenant>[a-z0-9]+)$' },
      },
    },
  });
  return createTenantResolver(cfg.tenancy);
}
