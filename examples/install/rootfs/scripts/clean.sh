#!/usr/bin/env bash
# clean: where a real rootfs runs kubeadm reset; the toy one records that it ran.
set -euo pipefail
. ./lib.sh
mark clean
