#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Chaos: the disk that holds the VMs' overlays fills up while a pool provisions.
#   The broker's VM folder (STATE/vms: overlays, specs, serial logs) is a 24 MiB tmpfs
#   (needs root; unmounted at exit). A pool with one ready VM is asked for three spares
#   while the folder is full:
#   - a clear error: the broker's log and `deskpool pool show` / `deskpool events` say what
#     failed (no space left on device, where) and what to do;
#   - the pool is restrained: a few attempts, then paused ("disk full: ...") with no more
#     attempts while the disk is full (no hot loop);
#   - the store is consistent: no VM row whose disk is missing (outside error/provisioning),
#     no VM folder without a row, no half-written overlay (qemu-img check), sqlite's
#     integrity_check ok;
#   - after space is freed the pool recovers to its size, by itself.
# Prints a table of what was tried and what held; exits 1 if a row did not hold.
# Usage: test_chaos_disk_full.sh BUILD_DIR SOURCE_DIR
source "$(dirname "$0")/../integration/lib.sh" "$@"
source "$SRC/tests/chaos/chaos_gw_stack.sh"
trap stack_cleanup EXIT
T0=$SECONDS
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root to mount a small tmpfs"; exit 0; }

ensure_tiny
mkdir -p "$B/st/vms"
mount -t tmpfs -o size=24m,mode=0700 dpc-vms "$B/st/vms" || fail "cannot mount a tmpfs on $B/st/vms"
STACK_CLEANUP+=("umount -l '$B/st/vms'")
stack_broker
# Boot clones: instant clones build their parent in STATE/vms and rename it into
# STATE/parents, which cannot cross into a separate file system (EXDEV).
stack_pool df --max 4 --spare 1 --clone-mode boot --wait --wait-timeout 180
VM1=$(dp vm list | awk 'NR == 2 {print $1}')
echo "stack up in $((SECONDS - T0)) s: $VM1 ready; $B/st/vms: $(df -h --output=used,size "$B/st/vms" | tail -1)"

# Fill the folder to the last byte.
dd if=/dev/zero of="$B/st/vms/.filler" bs=64k status=none 2>/dev/null || true
avail=$(df --output=avail -B1 "$B/st/vms" | tail -1)
echo "filled: $avail bytes left"
n0=$(grep -c "cannot create its disk" "$B/deskpoold.log" || true)
t_fill=$SECONDS
dp pool resize df --spare 3 >/dev/null || die "pool resize df --spare 3"

# --- a clear error, the pool restrained
paused() { [ "$(dp --json pool show df | json_field paused)" = true ]; }
check "disk full: the pool is restrained (paused) within 90 s" wait_for 90 paused
show=$(dp pool show df)
echo "$show" | sed 's/^/    | /' | head -20
reason=$(echo "$show" | sed -n 's/^paused_reason: *//p' | head -1)
check "pool show says what failed and where (${reason:0:150})" \
    eval 'echo "$show" | grep -qi "no space left on device\|disk full" && echo "$show" | grep -q "$B/st/vms"'
check "pool show says what to do (free space / resume)" eval 'echo "$show" | grep -qi "free\|resume"'
{ grep "No space left\|disk full" "$B/deskpoold.log" || true; } | tail -n 2 | cut -c1-260 | sed 's/^/    log: /'
check "the broker's log names the failure" grep -qi "No space left on device" "$B/deskpoold.log"
ev=$(dp events --limit 100 | grep "pool.restraint" | tail -n 1)
check "audited: pool.restraint (${ev:0:140})" test -n "$ev"
n1=$(grep -c "cannot create its disk" "$B/deskpoold.log" || true)
sleep 30
n2=$(grep -c "cannot create its disk" "$B/deskpoold.log" || true)
check "no hot loop: $((n1 - n0)) attempts until restrained, $((n2 - n1)) in the next 30 s" \
    test $((n1 - n0)) -le 6 -a $((n2 - n1)) -le 1

# --- the store is consistent
consistent() {
    local bad=0 name state
    while read -r name state; do
        case $state in error | provisioning | deleting) continue ;; esac
        [ -f "$B/st/vms/$name/disk.qcow2" ] || { echo "    $name ($state) has no disk" >&2; bad=1; }
    done < <(dp vm list | awk 'NR > 1 {print $1, $3}')
    for d in "$B/st/vms"/*/; do
        name=$(basename "$d")
        dp vm show "$name" >/dev/null 2>&1 || { echo "    folder $name has no VM row" >&2; bad=1; }
        if [ -f "$d/disk.qcow2" ] && ! qemu-img check -U -q "$d/disk.qcow2" >/dev/null 2>&1; then
            echo "    $name: overlay fails qemu-img check" >&2
            bad=1
        fi
    done
    return $bad
}
check "store: every VM row that needs a disk has one; every folder has a row; overlays check clean" consistent
ic=$(python3 -c "import sqlite3,sys; c=sqlite3.connect('file:'+sys.argv[1]+'?mode=ro', uri=True); print(c.execute('PRAGMA integrity_check').fetchone()[0])" "$B/st/deskpool.db" 2>&1)
check "store: sqlite PRAGMA integrity_check says ok ($ic)" test "$ic" = ok
check "the ready VM $VM1 is still ready" test "$(vm_field "$VM1" state)" = ready

# --- space freed: the pool recovers to its size
rm -f "$B/st/vms/.filler"
t=$SECONDS
ready3() { [ "$(dp vm list | awk 'NR > 1 && $3 == "ready"' | wc -l)" -ge 3 ]; }
check "space freed: the pool recovers to 3 ready spares by itself" wait_for 150 ready3
echo "    (recovered $((SECONDS - t)) s after the space was freed)"
check "store: consistent after the recovery" consistent
dp vm list | sed 's/^/    | /'

print_table "disk full during provisioning ($((SECONDS - T0)) s)"
[ "$FAILED" = 0 ] || { show_logs; exit 1; }
