#!/usr/bin/env bash
# `npm ci && npm run build && bash scripts/demo.sh`: builds Kubefile.example into the local store, then
# makes a small 2-layer cluster image as an oci-archive, loads it into the local store, lists the store, and saves
# the image back out in both archive formats. Uses the default store ($KIMG_ROOT, else $XDG_DATA_HOME/kimg, else
# ~/.local/share/kimg) unless KIMG_ROOT is set.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ ! -f dist/cli/main.js ]; then
  echo "demo: dist/cli/main.js is missing; run 'npm ci && npm run build' first" >&2
  exit 1
fi

IMAGE="kimg-demo/hello:1.0"
OUT="${KIMG_DEMO_DIR:-${TMPDIR:-/tmp}/kimg-demo}"
mkdir -p "$OUT"

run() {
  printf '\n$ %s\n' "$*"
  "$@"
}

run bin/kimg build -f Kubefile.example -t example/hello:1.0 example

echo "demo: making a sample cluster image archive in $OUT"
run node scripts/make-sample-archive.js "$OUT/sample.oci.tar" --name "$IMAGE"

run bin/kimg load -i "$OUT/sample.oci.tar"
run bin/kimg images
run bin/kimg save -o "$OUT/roundtrip.oci.tar" --format oci-archive "$IMAGE"
run bin/kimg save -o "$OUT/roundtrip.docker.tar" --format docker-archive "$IMAGE"

if command -v skopeo >/dev/null 2>&1; then
  echo
  echo "demo: skopeo reads what kimg wrote:"
  run skopeo inspect --format '{{.Digest}} layers={{len .Layers}} labels={{.Labels}}' "oci-archive:$OUT/roundtrip.oci.tar"
  run skopeo inspect --format '{{.Digest}} layers={{len .Layers}}' "docker-archive:$OUT/roundtrip.docker.tar"
fi

echo
echo "demo: done. Files are in $OUT; the image stays in the local store (remove it with: bin/kimg rmi $IMAGE)."
