#!/usr/bin/env bash
# check: refuse early when the host lacks what the other hooks need (sealos runs check before anything else).
set -euo pipefail
. ./lib.sh
for program in containerd ctr; do
  command -v "$program" >/dev/null || { echo "check: $program is not installed" >&2; exit 1; }
done
if [ -n "${FAIL_CHECK:-}" ]; then echo "check: FAIL_CHECK is set" >&2; exit 3; fi
mark check
echo "check: ok (Kubernetes ${SEALOS_SYS_KUBE_VERSION:-?})"
