#!/usr/bin/env bash
# Installs the real servers the integration tests and benchmarks start (Debian packages), only if missing.
# Needs root for apt-get; without root it names the command to run instead.
set -euo pipefail
need=()
have() { command -v "$1" >/dev/null 2>&1 || [ -x "$1" ]; }
have /usr/lib/postgresql/15/bin/postgres || need+=(postgresql-15 postgresql-contrib)
have pgbench || need+=(postgresql-contrib)
have redis-server || need+=(redis-server)
have redis-benchmark || need+=(redis-tools)
have redis-sentinel || need+=(redis-sentinel)
have prometheus || need+=(prometheus)
have promtool || need+=(prometheus)
have prometheus-alertmanager || need+=(prometheus-alertmanager)
have amtool || need+=(prometheus-alertmanager)
have prometheus-postgres-exporter || need+=(prometheus-postgres-exporter)
have prometheus-redis-exporter || need+=(prometheus-redis-exporter)
[ ${#need[@]} -eq 0 ] && exit 0
mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u)
echo "install-deps: installing ${need[*]}" >&2
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: not root; run: sudo apt-get update && sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# Debian starts the packaged services on their default ports; the tests start their own on free ports,
# so the system ones are stopped to keep ports and CPU free (harmless where there is no init system).
for svc in redis-server redis-sentinel prometheus prometheus-alertmanager prometheus-postgres-exporter prometheus-redis-exporter postgresql; do
  (command -v service >/dev/null && service "$svc" stop >/dev/null 2>&1) || true
done
