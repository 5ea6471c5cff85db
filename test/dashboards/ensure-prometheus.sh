#!/usr/bin/env sh
# npm test runs this first: the dashboard tests need a real Prometheus and promtool (Debian's
# prometheus package). Installs it when missing and this user can (root, or sudo without a
# password); otherwise says exactly what to run and fails, rather than skipping those tests.
command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 && exit 0
[ -n "${PROMETHEUS_BIN:-}" ] && [ -n "${PROMTOOL_BIN:-}" ] && exit 0
echo "raqib tests: installing Debian's prometheus package (for the dashboard and alert-rule tests)…" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo -n"
if command -v apt-get >/dev/null 2>&1 && $sudo apt-get update -qq >/dev/null 2>&1 \
  && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null 2>&1; then
  exit 0
fi
echo "raqib tests: prometheus and promtool are needed. Run: sudo apt-get install prometheus" >&2
echo "             (or set PROMETHEUS_BIN and PROMTOOL_BIN to their paths)" >&2
exit 1
