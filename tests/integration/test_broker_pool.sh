#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The broker end to end with real QEMU, driven only through the admin CLI: deskpoold starts,
# the tiny template is built, a pooled pool fills to its spare target with VMs whose QEMU
# really runs, two entitled users get two different desktops (and the first again on a second
# request), a logoff refreshes that user's VM and leaves the other alone, a broker killed with
# SIGKILL while a VM provisions comes back with no orphan process or disk, no VM lost and no
# VM given twice, a user without entitlement is refused, and deleting the pool stops its VMs.
# Needs: what test_vm_lifecycle.sh needs, plus deskpoold (broker/) and deskpool (clients/).
source "$(dirname "$0")/lib.sh" "$@"

DAEMON="$BUILD/broker/daemon/deskpoold"
CLI="$BUILD/clients/deskpool/deskpool"
[ -x "$DAEMON" ] && [ -x "$CLI" ] || fail "build deskpoold and deskpool first ($DAEMON, $CLI)"
# Short: the admin socket lives here and unix socket paths are limited to 108 bytes.
B=$(mktemp -d /tmp/dpb-XXXXXX)
SOCK="$B/d.sock"
DPID=""

dp() { "$CLI" --socket "$SOCK" "$@"; }
start_broker() {
    "$DAEMON" --config "$B/deskpool.conf" --foreground >>"$B/deskpoold.log" 2>&1 &
    DPID=$!
    local deadline=$((SECONDS + 20))
    until dp status >/dev/null 2>&1; do
        alive "$DPID" || { tail -20 "$B/deskpoold.log" >&2; fail "deskpoold exited at start"; }
        [ $SECONDS -lt $deadline ] || fail "deskpoold did not answer within 20 s"
        sleep 0.2
    done
}
# PIDs of QEMU processes running a VM of this broker's state directory.
qemu_pids() { pgrep -f "qemu-system.*-pidfile $B/st/vms/" | sort || true; }
json_field() { sed -n "s/.*\"$1\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p" | head -1; }
vm_field() { dp --json vm show "$1" | json_field "$2"; }
# wait_pool_ready N SECONDS: until the pool has N spare VMs ready.
wait_spare() {
    local deadline=$((SECONDS + $2))
    until [ "$(dp --json pool show lab | json_field spare_ready)" = "$1" ]; do
        [ $SECONDS -lt $deadline ] || { dp pool show lab >&2; return 1; }
        sleep 0.5
    done
}
cleanup() {
    if [ -n "$DPID" ] && alive "$DPID"; then
        dp pool delete lab --force --wait >/dev/null 2>&1 || true
        kill "$DPID" 2>/dev/null || true
        wait "$DPID" 2>/dev/null || true
    fi
    # Whatever a failed run left: its VMs by their pidfiles, then the folder.
    for pidfile in "$B"/st/vms/*/qemu.pid; do
        [ -f "$pidfile" ] && kill -9 "$(cat "$pidfile")" 2>/dev/null || true
    done
    if [ -n "${KEEP_FAILED:-}" ]; then echo "kept $B" >&2; else rm -rf "$B"; fi
}
trap cleanup EXIT

# The template cache of the other integration tests, so the build here is the cached path.
ensure_tiny
mkdir -p "$B/st/cache"
cp -a "$STATE/cache/tiny" "$B/st/cache/"
cat >"$B/deskpool.conf" <<CONF
[broker]
state_dir = $B/st
socket = $SOCK
pidfile = $B/deskpoold.pid
log_level = info
[https]
listen = off
CONF

out=$(dp status 2>&1) && fail "status without a broker should fail"
[ "$(dp status >/dev/null 2>&1; echo $?)" = 3 ] || fail "no broker: exit status should be 3"
echo "$out" | grep -q "cannot reach deskpoold at $SOCK: No such file or directory; is it running? (start it: deskpoold)" ||
    fail "no broker: message was: $out"
pass "no broker: exit 3 and a message that says how to start it"

start_broker
dp status | grep -q '^deskpoold ' || fail "status"
out=$(dp template build tiny) || fail "template build: $out"
echo "$out" | grep -q "template tiny version [0-9]* ready" || fail "template build said: $out"
pass "deskpoold up; $out"

out=$(dp pool create lab --template tiny --type pooled --max 3 --spare 2 --wait --wait-timeout 180) ||
    { dp pool show lab >&2; fail "pool create --wait: $out"; }
echo "$out" | grep -q "pool lab: 2 of 2 spare VMs ready" || fail "pool create said: $out"
# Quiet in scripts: no spinner or carriage returns when stdout is not a terminal.
echo "$out" | grep -q $'\r' && fail "progress output leaked into a non-terminal"
ready=$(dp vm list --pool lab | awk '$3 == "ready" {print $1}')
[ "$(echo "$ready" | wc -w)" = 2 ] || fail "expected 2 ready VMs, got: $ready"
for vm in $ready; do
    pid=$(cat "$B/st/vms/$vm/qemu.pid")
    alive "$pid" || fail "VM $vm is ready but its QEMU ($pid) does not run"
    "$HV_BIN" --state "$B/st" qga "$vm" guest-ping >/dev/null || fail "VM $vm: guest agent silent"
done
pass "pool lab reached its spare target: $(echo $ready) run and answer their guest agent"

printf 'Alice-pw-1\n' | dp user add alice >/dev/null || fail "user add alice"
printf 'Bob-pw-1\n' | dp user add bob >/dev/null || fail "user add bob"
printf 'Carol-pw-1\n' | dp user add carol >/dev/null || fail "user add carol"
dp entitle lab --user alice >/dev/null || fail "entitle alice"
dp group add staff >/dev/null && dp group member staff bob >/dev/null &&
    dp entitle lab --group staff >/dev/null || fail "entitle bob through group staff"
dp user list | grep -q '^bob .*staff *lab$' || fail "user list: bob in staff, pool lab"
pass "users added (passwords from stdin), alice and group staff (bob) entitled"

out_a=$(dp desktop request alice) || fail "desktop request alice: $out_a"
out_b=$(dp desktop request bob) || fail "desktop request bob: $out_b"
vm_a=$(echo "$out_a" | sed -n 's/^alice: desktop \([^ ]*\) at .*/\1/p')
vm_b=$(echo "$out_b" | sed -n 's/^bob: desktop \([^ ]*\) at .*/\1/p')
[ -n "$vm_a" ] && [ -n "$vm_b" ] || fail "no VM names in: $out_a / $out_b"
[ "$vm_a" != "$vm_b" ] || fail "alice and bob got the same VM $vm_a"
echo "$out_a" | grep -q "one-time credential for $vm_a was issued (not shown" ||
    fail "desktop request should say a credential was issued: $out_a"
dp --json desktop request bob | grep -q '"password"' && fail "--json printed the password"
again=$(dp desktop request alice | sed -n 's/^alice: desktop \([^ ]*\) at .*/\1/p')
[ "$again" = "$vm_a" ] || fail "alice's second request gave $again, not her VM $vm_a"
[ "$(vm_field "$vm_a" user)" = alice ] && [ "$(vm_field "$vm_b" user)" = bob ] ||
    fail "vm show: owners of $vm_a and $vm_b"
pass "alice on $vm_a, bob on $vm_b, alice again on $vm_a (reconnect); no password printed"

out=$(dp desktop request carol 2>&1) && fail "carol (no entitlement) got a desktop: $out"
echo "$out" | grep -q 'carol' || fail "refusal should name the user: $out"
dp --json vm list | grep -q '"user": "carol"' && fail "carol was assigned a VM"
dp session list | grep -q ' carol ' && fail "carol has a session"
pass "a user without entitlement is refused and nothing is assigned: $out"

# Logoff: alice's VM gets a fresh overlay and is ready again; bob's is not touched. The
# overlay is replaced by a new file (hv resets a disk by create + rename), so its inode
# changes; a running guest rewrites its disk all the time, so a checksum alone proves nothing.
disk_a="$B/st/vms/$vm_a/disk.qcow2"
disk_b="$B/st/vms/$vm_b/disk.qcow2"
inode_a=$(stat -c %i "$disk_a")
# A second link keeps the old disk's inode allocated, so a new disk cannot reuse its number.
ln "$disk_a" "$B/old-disk-a"
inode_b=$(stat -c %i "$disk_b")
pid_a=$(cat "$B/st/vms/$vm_a/qemu.pid")
pid_b=$(cat "$B/st/vms/$vm_b/qemu.pid")
last_event=$(dp --json events --limit 1 | json_field id)
dp session logoff alice >/dev/null || fail "session logoff alice"
deadline=$((SECONDS + 120))
until [ "$(vm_field "$vm_a" state)" = ready ] && [ "$(stat -c %i "$disk_a")" != "$inode_a" ]; do
    [ $SECONDS -lt $deadline ] || {
        dp events --since "$last_event" >&2
        fail "after alice's logoff $vm_a is $(vm_field "$vm_a" state) on its old overlay (not refreshed)"
    }
    sleep 0.5
done
dp events --since "$last_event" | grep -q "vm:$vm_a: from=[a-z_]* to=refreshing" ||
    fail "no refreshing step for $vm_a in the audit log"
alive "$(cat "$B/st/vms/$vm_a/qemu.pid")" || fail "$vm_a is ready but its QEMU does not run"
[ "$(stat -c %i "$disk_b")" = "$inode_b" ] && alive "$pid_b" &&
    [ "$(vm_field "$vm_b" user)" = bob ] || fail "bob's VM $vm_b was disturbed by alice's logoff"
pass "alice's logoff refreshed $vm_a (new overlay, QEMU $pid_a -> $(cat "$B/st/vms/$vm_a/qemu.pid")); bob's $vm_b untouched"

# SIGKILL while a VM provisions: pool at max 3 with 1 assigned needs 2 spares; take one away.
spare=$(dp vm list --pool lab | awk -v b="$vm_b" '$3 == "ready" && $1 != b {print $1; exit}')
dp vm delete "$spare" >/dev/null || fail "vm delete $spare"
deadline=$((SECONDS + 60))
until dp vm list --pool lab | awk '{print $3}' | grep -qE '^(provisioning|starting)$'; do
    [ $SECONDS -lt $deadline ] || fail "no VM started provisioning after deleting $spare"
    sleep 0.1
done
kill -9 "$DPID"
wait "$DPID" 2>/dev/null || true
DPID=""
start_broker
wait_spare 2 180 || fail "after the restart the pool did not get back to 2 spare VMs"
sleep 2 # one more reconciliation tick
listed=$(dp vm list --pool lab | awk 'NR > 1 {print $1}' | sort)
folders=$(ls "$B/st/vms" | sort)
[ "$listed" = "$folders" ] || fail "VM folders ($folders) differ from deskpool vm list ($listed)"
running=$(dp vm list --pool lab | awk 'NR > 1 && $3 != "stopped" {print $1}' | sort)
qemu_for=$(for p in $(qemu_pids); do tr '\0' '\n' </proc/$p/cmdline |
    sed -n 's/^guest=\([^,]*\).*/\1/p'; done | sort)
[ "$qemu_for" = "$running" ] || fail "QEMU runs for ($qemu_for) but the broker lists ($running)"
[ "$(echo "$listed" | wc -w)" -le 3 ] || fail "more VMs than max 3: $listed"
[ "$(vm_field "$vm_b" user)" = bob ] && alive "$pid_b" || fail "bob lost $vm_b over the restart"
owners=$(dp --json vm list | sed -n 's/.*"user": "\(.*\)".*/\1/p' | sort)
[ "$owners" = "bob" ] || fail "after the restart the owners are: $owners (expected only bob)"
[ "$(dp desktop request bob | sed -n 's/^bob: desktop \([^ ]*\) at .*/\1/p')" = "$vm_b" ] ||
    fail "bob's request after the restart did not give his VM $vm_b"
pass "kill -9 during provisioning: no orphan QEMU or folder, nothing lost or doubled ($(echo $listed))"

pids=$(qemu_pids)
[ -n "$pids" ] || fail "no QEMU processes before pool delete?"
out=$(dp pool delete lab --force --wait) || fail "pool delete: $out"
for p in $pids; do alive "$p" && fail "QEMU $p still runs after pool delete"; done
[ -z "$(qemu_pids)" ] || fail "QEMU processes left: $(qemu_pids)"
dp pool list | grep -q '^no pools' || fail "pool list after delete"
pass "pool delete: every QEMU process of the pool is gone"
