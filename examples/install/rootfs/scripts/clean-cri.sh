#!/usr/bin/env bash
# clean-cri: stop the containerd init-cri started and remove its files.
set -euo pipefail
. ./lib.sh
if [ -f "$CRI_DIR/containerd.pid" ]; then
  pid="$(cat "$CRI_DIR/containerd.pid")"
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
fi
# The overlayfs snapshotter may leave mounts below its root.
{ grep -o " $CRI_DIR/[^ ]*" /proc/mounts || true; } | sort -r | while read -r mount; do umount "$mount" || true; done
rm -rf "$CRI_DIR"
mark clean-cri
