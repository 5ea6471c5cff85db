#!/usr/bin/env sh
# npm test runs this after ensure-prometheus.sh: the HTTP probe's content-coding tests need a real
# nginx (Debian's nginx package) that compresses as deployed sites do. Installs it when missing and
# this user can (root, or sudo without a password); otherwise says exactly what to run and fails,
# rather than skipping those tests.
[ -n "${NGINX_BIN:-}" ] && [ -x "$NGINX_BIN" ] && exit 0
command -v nginx >/dev/null 2>&1 && exit 0
[ -x /usr/sbin/nginx ] && exit 0
echo "raqib tests: installing Debian's nginx package (for the HTTP content-coding tests)…" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo -n"
if command -v apt-get >/dev/null 2>&1 && $sudo apt-get update -qq >/dev/null 2>&1 \
  && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx >/dev/null 2>&1; then
  exit 0
fi
echo "raqib tests: nginx is needed. Run: sudo apt-get install nginx" >&2
echo "             (or set NGINX_BIN to its path)" >&2
exit 1
