#!/usr/bin/env bash
# Check that the Debian packages this project needs are installed; as root with
# apt-get available, install the missing ones.  A no-op (one dpkg-query) when all
# are present.
#
#   scripts/system-deps.sh --runtime   what serving needs (Pango for WeasyPrint, CJK fonts)
#   scripts/system-deps.sh --test      everything (default): + poppler-utils, chromium, zbar-tools (QR codes)
#   scripts/system-deps.sh --list      print the package names for the chosen mode and exit
#   --check-only                       never install, only report (exit 1 if missing)
#
# JJ_SKIP_SYSTEM_DEPS=1 skips the whole check (e.g. on a non-Debian system where
# the equivalents are installed by other means).
set -euo pipefail

RUNTIME_PKGS=(libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk)
TEST_PKGS=(poppler-utils chromium zbar-tools)

mode=test
install=1
list=0
for arg in "$@"; do
  case "$arg" in
    --runtime) mode=runtime ;;
    --test) mode=test ;;
    --check-only) install=0 ;;
    --list) list=1 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "system-deps: unknown argument: $arg (use --runtime, --test, --check-only, --list)" >&2; exit 2 ;;
  esac
done

pkgs=("${RUNTIME_PKGS[@]}")
if [[ $mode == test ]]; then
  pkgs+=("${TEST_PKGS[@]}")
fi

if ((list)); then
  printf '%s\n' "${pkgs[@]}"
  exit 0
fi

if [[ ${JJ_SKIP_SYSTEM_DEPS:-} == 1 ]]; then
  echo "system-deps: skipped (JJ_SKIP_SYSTEM_DEPS=1)" >&2
  exit 0
fi

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "system-deps: dpkg-query not found (not a Debian system?)." >&2
  echo "system-deps: install the equivalents of: ${pkgs[*]}" >&2
  echo "system-deps: then set JJ_SKIP_SYSTEM_DEPS=1 to skip this check." >&2
  exit 1
fi

# Print the packages from "$@" that are not fully installed.
missing_pkgs() {
  local installed
  # Unknown packages make dpkg-query complain and exit 1: that just means "missing".
  installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "$@" 2>/dev/null || true)
  local p
  for p in "$@"; do
    if ! grep -qx "$p installed" <<<"$installed"; then
      echo "$p"
    fi
  done
}

mapfile -t missing < <(missing_pkgs "${pkgs[@]}")
if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "system-deps: missing Debian packages ($mode): ${missing[*]}" >&2

if ((install)) && [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt_opts=(-q -o DPkg::Lock::Timeout=600
            -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
  echo "system-deps: apt-get update" >&2
  apt-get "${apt_opts[@]}" update </dev/null
  echo "system-deps: apt-get install -y ${missing[*]}" >&2
  apt-get "${apt_opts[@]}" install -y "${missing[@]}" </dev/null
  mapfile -t still < <(missing_pkgs "${pkgs[@]}")
  if ((${#still[@]} > 0)); then
    echo "system-deps: still missing after apt-get install: ${still[*]}" >&2
    exit 1
  fi
  echo "system-deps: installed ${missing[*]}" >&2
  exit 0
fi

if ((install)); then
  if [[ $(id -u) -ne 0 ]]; then
    why="not running as root"
  else
    why="apt-get not available"
  fi
  echo "system-deps: cannot install them ($why). Run as root:" >&2
else
  echo "system-deps: --check-only given. To install them, run as root:" >&2
fi
echo "    apt-get update && apt-get install -y ${missing[*]}" >&2
exit 1
