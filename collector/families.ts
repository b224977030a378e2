import type { Registry } from 'prom-client';

/**
 * Makes a family factory return one set per registry: several sources of one kind (two
 * PostgreSQL clusters) and the simulated fleet share families, and prom-client refuses to
 * register a name twice.
 */
export function perRegistry<T>(create: (registry: Registry) => T): (registry: Registry) => T {
  const cache = new WeakMap<Registry, T>();
  return (registry) => {
    let v = cache.get(registry);
    if (v === undefined) cache.set(registry, (v = create(registry)));
    return v;
  };
}
