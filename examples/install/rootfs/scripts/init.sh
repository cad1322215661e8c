#!/usr/bin/env bash
# init: where a real rootfs runs kubeadm; the toy one records that it ran (and fails on request, for the tests).
set -euo pipefail
. ./lib.sh
if [ -e "$TARGET_DIR/fail-init" ]; then echo "init: $TARGET_DIR/fail-init exists" >&2; exit 7; fi
mark init
echo "init: ok"
