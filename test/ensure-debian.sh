#!/usr/bin/env sh
# npm test runs this for each Debian package its tests use for real (Prometheus, nginx, ping, aiosmtpd):
#   sh test/ensure-debian.sh PACKAGE "WHAT FOR" BINARY...
# A BINARY is found on PATH, in /usr/sbin, or at the path in <BINARY>_BIN (NGINX_BIN, …). When one
# is missing, installs PACKAGE if this user can (root, or sudo without a password); otherwise says
# exactly what to run and fails, rather than skipping those tests.
pkg=$1 what=$2
shift 2
missing=""
for bin in "$@"; do
  eval "given=\${$(echo "$bin" | tr '[:lower:]' '[:upper:]')_BIN:-}"
  [ -n "$given" ] || command -v "$bin" >/dev/null 2>&1 || [ -x "/usr/sbin/$bin" ] || missing="$missing $bin"
done
[ -z "$missing" ] && exit 0
echo "raqib tests: installing Debian's $pkg package (for $what)…" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo -n"
if command -v apt-get >/dev/null 2>&1 && $sudo apt-get update -qq >/dev/null 2>&1 \
  && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null 2>&1; then
  exit 0
fi
echo "raqib tests:$missing needed. Run: sudo apt-get install $pkg" >&2
echo "             (or set$(for b in $missing; do printf ' %s_BIN' "$(echo "$b" | tr '[:lower:]' '[:upper:]')"; done) to the path)" >&2
exit 1
