#!/usr/bin/env bash
# The Debian 12 packages Hotline needs outside its virtualenv, in one place for make and CI.
#
# Usage: scripts/setup-system.sh run|test|bench|ci
#   run    what `make run` needs: gettext (compiles the catalogues), fonts for PDF exports, CA certificates
#   test   run + Debian's chromium, and libatomic1 for Playwright's driver (browser tests), and an Ethiopic
#          font (the Tigrinya screenshots)
#   bench  run + wrk (HTTP benchmarks)
#   ci     everything .ci/run needs, PostgreSQL (server, and pg_dump/pg_restore for the backup tests), tor (its
#          --verify-config checks deploy/tor/torrc: two Debian packages, about 8 s) and nginx (nginx -t checks
#          deploy/tor/nginx-onion.conf) included; fails when it cannot install. Tests needing tor, nginx or the
#          Ethiopic font skip without them, but not in CI (HOTLINE_REQUIRE_TOOLS=1; their probes are
#          conftest.SYSTEM_PACKAGES)
#
# Checks files only, so it takes milliseconds when everything is there (no apt-get update).
# As root on a machine with apt-get it installs what is missing (--no-install-recommends).
# Otherwise (not root, not Debian, HOTLINE_SETUP=skip, or apt-get failed) it prints ONE line
# saying what to install and what goes without it, and exits 0 so make goes on.
set -euo pipefail
purpose=${1:-test}
cd "$(dirname "$0")/.."

# Pinned packages that PyPI ships without a Linux wheel for CPython 3.11: pip compiles them,
# which needs a C++ compiler and Python's headers.
BUILT_FROM_SOURCE='pdqhash'

# package -> a file it installs; a name without a slash is a command looked up on PATH
declare -A probe=(
  [ca-certificates]=/etc/ssl/certs/ca-certificates.crt
  [fonts-dejavu-core]=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
  [gettext]=msgfmt
  [chromium]=/usr/bin/chromium
  [chromium-driver]=/usr/bin/chromedriver
  [libatomic1]='/usr/lib/*/libatomic.so.1'
  [postgresql]='/usr/lib/postgresql/*/bin/initdb'
  [postgresql-client]=pg_dump
  [wrk]=wrk
  [g++]=g++
  [python3.11-dev]=/usr/include/python3.11/Python.h
  [fonts-sil-abyssinica]=/usr/share/fonts/truetype/abyssinica/AbyssinicaSIL-Regular.ttf
  [tor]=/usr/sbin/tor
  [nginx]=/usr/sbin/nginx
)
# what goes without a package (for the one line printed when it cannot be installed)
declare -A without=(
  [ca-certificates]='TLS connections fail'
  [fonts-dejavu-core]='PDF exports fall back to Helvetica'
  [gettext]='catalogues are compiled with polib instead'
  [chromium]='browser tests are skipped'
  [chromium-driver]='CI is incomplete'
  [libatomic1]='browser tests are skipped'
  [postgresql]='no local PostgreSQL for tests'
  [postgresql-client]='PostgreSQL backups cannot be made or restored'
  [wrk]='HTTP benchmarks cannot run'
  [g++]="pip cannot build $BUILT_FROM_SOURCE"
  [python3.11-dev]="pip cannot build $BUILT_FROM_SOURCE"
  [fonts-sil-abyssinica]='Tigrinya shows as empty boxes in the screenshots of the browser tests'
  [tor]='the torrc check is skipped'
  [nginx]='the check of deploy/tor/nginx-onion.conf is skipped'
)

packages=(ca-certificates fonts-dejavu-core gettext)
case "$purpose" in
  run) ;;
  test) packages+=(chromium libatomic1 fonts-sil-abyssinica) ;;
  bench) packages+=(wrk) ;;
  ci) packages+=(chromium libatomic1 fonts-sil-abyssinica chromium-driver postgresql postgresql-client wrk tor nginx) ;;
  *) echo "usage: $0 run|test|bench|ci" >&2; exit 2 ;;
esac
if grep -qiE "^(${BUILT_FROM_SOURCE//,/|})==" requirements/lock.txt; then
  packages+=(g++ python3.11-dev)
fi

present() {
  local what=${probe[$1]}
  if [[ $what == */* ]]; then compgen -G "$what" >/dev/null; else command -v "$what" >/dev/null; fi
}

missing=()
for package in "${packages[@]}"; do
  present "$package" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

tell() {  # the one line: what is missing, why it was not installed, how to install it, what goes without
  local names="${missing[*]}" effects="" package effect other group
  for package in "${missing[@]}"; do  # one clause per effect: "browser tests are skipped (chromium, libatomic1)"
    effect=${without[$package]}
    [[ "; $effects" == *"; $effect ("* ]] && continue
    group=""
    for other in "${missing[@]}"; do [ "${without[$other]}" != "$effect" ] || group+="${group:+, }$other"; done
    effects+="${effects:+; }$effect ($group)"
  done
  echo "Hotline set-up: not installed: $names ($1). Install with: sudo apt-get install --no-install-recommends $names. Until then: $effects." >&2
  [ "$purpose" != ci ] || exit 1
  exit 0
}

[ "${HOTLINE_SETUP:-}" != skip ] || tell "HOTLINE_SETUP=skip"
[ "$(id -u)" -eq 0 ] || tell "not root"
command -v apt-get >/dev/null || tell "no apt-get: not Debian"

echo "Hotline set-up: installing ${missing[*]} (apt-get, Debian 12)" >&2
export DEBIAN_FRONTEND=noninteractive
apt=(apt-get -qq -o DPkg::Lock::Timeout=300)
log=$(mktemp -t hotline-setup.XXXXXX)
if ! { "${apt[@]}" update && "${apt[@]}" install -y --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
  tell "apt-get failed, see $log"
fi
rm -f "$log"
still=()
for package in "${missing[@]}"; do present "$package" || still+=("$package"); done
if [ ${#still[@]} -gt 0 ]; then
  missing=("${still[@]}")
  tell "installed, but still not found"
fi
