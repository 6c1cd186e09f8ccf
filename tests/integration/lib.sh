# SPDX-License-Identifier: Apache-2.0
# Shared by the integration test scripts: paths, the tiny template, cleanup, assertions.
# Usage in a test: source "$(dirname "$0")/lib.sh" "$@"   (args: BUILD_DIR SOURCE_DIR)
set -euo pipefail
BUILD="$(cd "$1" && pwd)"
SRC="$(cd "$2" && pwd)"
HV_BIN="$BUILD/clients/deskpool-hv/deskpool-hv"
# One state directory for all integration tests, so the tiny template is built once.
STATE="${DESKPOOL_TEST_STATE:-$BUILD/itest}"
TEST_VMS=()

hv() { "$HV_BIN" --state "$STATE" "$@"; }

fail() {
    echo "FAIL: $*" >&2
    exit 1
}
pass() { echo "ok: $*"; }

# Builds (or finds cached) the tiny template; prints nothing on success.
ensure_tiny() {
    hv template build tiny >"$BUILD/itest-template.log" 2>&1 ||
        { cat "$BUILD/itest-template.log" >&2; fail "tiny template build"; }
}

# new_vm NAME [vm create options]: creates a VM on the tiny template, destroyed at exit.
new_vm() {
    local name="$1"
    shift
    hv vm destroy "$name" >/dev/null 2>&1 || true
    TEST_VMS+=("$name")
    hv vm create "$name" --template tiny "$@" >/dev/null
}

cleanup_vms() {
    for vm in "${TEST_VMS[@]}"; do
        if [ -d "$STATE/vms/$vm" ] && [ -n "${KEEP_FAILED:-}" ]; then continue; fi
        hv vm destroy "$vm" >/dev/null 2>&1 || true
    done
}
trap cleanup_vms EXIT

vm_state() { hv --json vm status "$1" | sed -n 's/.*"state": "\([a-z]*\)".*/\1/p'; }
vm_pid() { hv --json vm status "$1" | sed -n 's/.*"pid": \([0-9]*\).*/\1/p'; }
vm_port() { hv --json vm status "$1" | sed -n 's/.*"rdp_port": \([0-9]*\).*/\1/p'; }

# wait_state NAME STATE SECONDS
wait_state() {
    local deadline=$((SECONDS + $3))
    while [ "$(vm_state "$1")" != "$2" ]; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.2
    done
}

# Prints a file from a VM disk image (overlay or base) without booting it: qemu-img flattens
# the chain to raw, debugfs reads the ext4 inside. Empty output if the file is not there.
disk_cat() {
    local img="$1" path="$2" raw
    raw=$(mktemp /tmp/dp-disk-XXXXXX.raw)
    qemu-img convert -U -O raw "$img" "$raw"
    debugfs -R "cat $path" "$raw" 2>/dev/null || true
    rm -f "$raw"
}

# True if PID runs and is not a zombie (a daemonized QEMU that exited stays a zombie until
# its parent, init in this environment, reaps it).
alive() {
    local st
    st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
    [ -n "$st" ] && [ "${st#Z}" = "$st" ]
}
