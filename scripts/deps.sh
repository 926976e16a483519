#!/usr/bin/env bash
# Installs the Debian packages sellerdesk needs, and only the missing ones, so that a second
# run costs a dpkg query and nothing else.
set -euo pipefail
PKGS=(build-essential pkg-config libulfius-dev libjansson-dev libjwt-dev libsodium-dev
      libpq-dev libcurl4-gnutls-dev check libsubunit-dev postgresql postgresql-contrib
                  curl jq wrk valgrind clang-format nodejs npm python3 python3-aiosmtpd python3-yaml chromium)
# `deps.sh fuzz`: what `make fuzz` needs on top (clang with libFuzzer and the sanitizers)
[ "${1:-}" = fuzz ] && PKGS=(clang libclang-rt-dev)
missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node/npm may come from outside Debian (a preinstalled toolchain); accept those too.
if command -v node >/dev/null && command -v npm >/dev/null; then
    tmp=(); for p in "${missing[@]}"; do [[ $p == nodejs || $p == npm ]] || tmp+=("$p"); done
    missing=("${tmp[@]+"${tmp[@]}"}")
fi
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "deps: need root or sudo to apt-get install: ${missing[*]}" >&2; exit 1; }
    SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
