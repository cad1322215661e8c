#!/usr/bin/env bash
# Installs the Debian packages kimg's tests talk to (real registry, skopeo, umoci, buildah, dockerd, ip netns,
# openssl). Idempotent: does nothing when every needed program is already on PATH.
#
#   bash scripts/install-system-deps.sh             install what is missing (root), or say what is missing
#   bash scripts/install-system-deps.sh --force     apt-get update + install the whole list even if present
#   bash scripts/install-system-deps.sh --packages  print the package list, one per line, and exit
#   bash scripts/install-system-deps.sh --check     exit 1 if anything is missing, install nothing
#
# Not root and something missing: prints the apt-get command to run and exits 0, so the unit tests that need
# none of these programs still run (the tests that do need them fail with the program's name).
set -euo pipefail

# program → Debian package that provides it (bookworm names).
PROGRAMS=(
  docker-registry:docker-registry
  skopeo:skopeo
  umoci:umoci
  buildah:buildah
  dockerd:docker.io
  containerd:containerd
  ip:iproute2
  openssl:openssl
  newuidmap:uidmap
  htpasswd:apache2-utils
  tar:tar
  gzip:gzip
  zstd:zstd
  # A static shell for the base images RUN tests build (test/build/run): one binary, no libraries.
  busybox:busybox-static
)
# Packages with no program to probe for, installed alongside.
EXTRA_PACKAGES=(ca-certificates)

all_packages() {
  local entry
  for entry in "${PROGRAMS[@]}"; do echo "${entry#*:}"; done
  for entry in "${EXTRA_PACKAGES[@]}"; do echo "$entry"; done
}

have() {
  # Also look in the sbin directories: a non-root PATH often lacks them, and dockerd/ip live there.
  command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ]
}

missing_packages() {
  local entry prog pkg
  for entry in "${PROGRAMS[@]}"; do
    prog="${entry%%:*}"
    pkg="${entry#*:}"
    have "$prog" || echo "$pkg"
  done
}

apt_install() {
  # No stdin in CI: never let debconf or needrestart ask anything.
  export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 NEEDRESTART_MODE=a
  local log
  log="$(mktemp)"
  echo "install-system-deps: apt-get update && apt-get install $*" >&2
  if ! { apt-get -q -o Acquire::Retries=3 update &&
    apt-get install -y -q -o Dpkg::Use-Pty=0 -o DPkg::Lock::Timeout=300 "$@"; } >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    rm -f "$log"
    echo "install-system-deps: apt-get failed" >&2
    return 1
  fi
  rm -f "$log"
}

mode="${1:-}"
case "$mode" in
  --packages)
    all_packages
    exit 0
    ;;
  --force)
    if [ "$(id -u)" -ne 0 ]; then
      echo "install-system-deps: --force needs root" >&2
      exit 1
    fi
    mapfile -t pkgs < <(all_packages)
    apt_install "${pkgs[@]}"
    exit 0
    ;;
  --check | '') ;;
  *)
    echo "usage: $0 [--check|--force|--packages]" >&2
    exit 2
    ;;
esac

mapfile -t missing < <(missing_packages | sort -u)
if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-system-deps: all test programs present" >&2
  exit 0
fi

if [ "$mode" = --check ]; then
  echo "install-system-deps: missing packages: ${missing[*]}" >&2
  exit 1
fi

if [ "$(id -u)" -ne 0 ]; then
  mapfile -t pkgs < <(all_packages)
  cat >&2 <<MSG
install-system-deps: missing Debian packages: ${missing[*]}
  The integration tests start a real registry, skopeo, umoci, buildah and dockerd; those tests will fail.
  Install them (as root) with:
    sudo apt-get update && sudo apt-get install -y ${pkgs[*]}
MSG
  exit 0
fi

mapfile -t pkgs < <(all_packages)
apt_install "${pkgs[@]}"
mapfile -t still < <(missing_packages | sort -u)
if [ "${#still[@]}" -ne 0 ]; then
  echo "install-system-deps: still missing after apt-get install: ${still[*]}" >&2
  exit 1
fi
echo "install-system-deps: installed ${missing[*]}" >&2
