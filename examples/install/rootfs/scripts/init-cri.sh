#!/usr/bin/env bash
# init-cri: start containerd with its own root, state and socket below the target, and a hosts.toml per
# registry host (containerd's certs.d format, its mirror entry rendered from etc/hosts.toml.tmpl) that sends
# pulls to the registry kimg serves, so images are pulled by their original names with no rewriting.
set -euo pipefail
. ./lib.sh
mkdir -p "$CRI_DIR/root" "$CRI_DIR/state" "$CRI_DIR/certs.d"
# No registry served (the images embed none): containerd pulls from the registries themselves.
[ -n "${registryDomain:-}" ] || MIRROR_HOSTS=""
for host in ${MIRROR_HOSTS:-}; do
  mkdir -p "$CRI_DIR/certs.d/$host"
  # ../etc/hosts.toml is rendered by kimg install from ../etc/hosts.toml.tmpl (registryDomain, registryPort).
  { echo "server = \"https://$host\""; echo; cat ../etc/hosts.toml; } >"$CRI_DIR/certs.d/$host/hosts.toml"
done
cat >"$CRI_DIR/config.toml" <<TOML
version = 2
root = "$CRI_DIR/root"
state = "$CRI_DIR/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$CRI_SOCKET"
[ttrpc]
  address = "$CRI_SOCKET.ttrpc"
[debug]
  address = ""
TOML
if [ -f "$CRI_DIR/containerd.pid" ] && kill -0 "$(cat "$CRI_DIR/containerd.pid")" 2>/dev/null; then
  echo "init-cri: containerd already runs"
else
  # Detached, its output in a file: the hook's own stdout must close when the hook ends.
  setsid containerd --config "$CRI_DIR/config.toml" >"$CRI_DIR/containerd.log" 2>&1 </dev/null &
  echo $! >"$CRI_DIR/containerd.pid"
fi
for _ in $(seq 100); do
  ctr -a "$CRI_SOCKET" version >/dev/null 2>&1 && break
  sleep 0.1
done
ctr -a "$CRI_SOCKET" version >/dev/null
mark init-cri
echo "init-cri: containerd on $CRI_SOCKET, mirrors for: ${MIRROR_HOSTS:-none} → ${registryDomain:-?}:${registryPort:-?}"
