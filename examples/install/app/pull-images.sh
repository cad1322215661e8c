#!/usr/bin/env bash
# Pulls every image of images/shim into the toy rootfs' containerd by its original name (containerd's hosts.toml
# sends the requests to the embedded registry) and records name and digest in ../../pulled.txt.
set -euo pipefail
CRI_DIR="$(cd ../.. && pwd)/cri"
out="$(cd ../.. && pwd)/pulled.txt"
: >"$out"
grep -hv '^\s*\(#\|$\)' images/shim/* | while read -r ref; do
  ctr -a "$CRI_DIR/containerd.sock" images pull --hosts-dir "$CRI_DIR/certs.d" "$ref" >/dev/null
  digest="$(ctr -a "$CRI_DIR/containerd.sock" images ls name=="$ref" | awk 'NR==2 {print $3}')"
  echo "$ref $digest" | tee -a "$out"
done
echo app >>"$(cd ../.. && pwd)/hook-order.txt"
