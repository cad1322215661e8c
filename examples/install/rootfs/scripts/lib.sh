# Shared by the hooks: where the toy cluster keeps its runtime, relative to rootfs/scripts (hooks run there).
TARGET_DIR="$(cd ../.. && pwd)"
CRI_DIR="$TARGET_DIR/cri"
CRI_SOCKET="$CRI_DIR/containerd.sock"
# Each hook appends its name here: the order the hooks ran in, for people and for the tests.
mark() { echo "$1" >>"$TARGET_DIR/hook-order.txt"; }
