#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Instant clones of the tiny template: a parent is built once per template version; clones
# restored from it answer X.224 and let deskpool-probe log in with a QGA-set password; the
# guest clock is corrected after restore; guest writes stay in each clone's own overlay
# (not in the other clone, not in the parent); the parent's disk and state never change; a
# clone whose disk has run boots cold; a corrupt state file (checksum) and a state QEMU
# cannot load (checksum patched to match) both fall back to a cold boot, with the reason.
# Needs: qemu-system-x86 qemu-utils e2fsprogs (debugfs) and the tiny template's packages.
source "$(dirname "$0")/lib.sh" "$@"
PROBE="$BUILD/clients/deskpool-probe/deskpool-probe"
work=$(mktemp -d /tmp/dp-instant-XXXXXX)
PROBE_PID=
pdir=
finish() {
    [ -n "$PROBE_PID" ] && kill "$PROBE_PID" 2>/dev/null
    # Put back the parent's state and meta if a fallback test damaged them.
    if [ -n "$pdir" ] && [ -f "$work/state.orig" ]; then
        cp "$work/state.orig" "$pdir/state"
        cp "$work/meta.orig" "$pdir/meta.json"
        touch -r "$work/state.orig" "$pdir/state"
    fi
    rm -rf "$work"
    cleanup_vms
}
trap finish EXIT
json_field() { sed -n "s/.*\"$1\": \"\{0,1\}\([^\",]*\)\"\{0,1\}.*/\1/p" | head -1; }

ensure_tiny
t=$SECONDS
out=$(hv parent build tiny) || fail "parent build: $out"
echo "$out ($((SECONDS - t)) s)"
pdir=$(hv --json parent list | json_field dir)
[ -d "$pdir" ] || fail "parent list shows no parent folder"
for f in disk.qcow2 ram state meta.json spec.json; do [ -f "$pdir/$f" ] || fail "parent lacks $f"; done
ls -a "$STATE/parents" | grep -q '^\.build-' && fail "a half-built parent folder was left behind"
grep -q '"qemu_version": "'"$(qemu-system-x86_64 --version | head -1 | awk '{print $4}')"'"' \
    "$pdir/meta.json" || fail "meta.json does not record this QEMU's version"
disk_sha=$(sha256sum "$pdir/disk.qcow2" | cut -d' ' -f1)
state_sha=$(sha256sum "$pdir/state" | cut -d' ' -f1)
out2=$(hv parent build tiny) || fail "second parent build"
[ "$(sha256sum "$pdir/state" | cut -d' ' -f1)" = "$state_sha" ] || fail "parent rebuilt needlessly"
pass "parent built once and published complete ($(stat -c %s "$pdir/state") byte state)"

# A clock the clone must correct: make the saved state at least 20 s old.
age=$(($(date +%s) - $(json_field created <"$pdir/meta.json")))
[ "$age" -lt 20 ] && sleep $((20 - age))

new_vm ia --clone instant
new_vm ib --clone instant
grep -q "$pdir/state" "$STATE/vms/ia/spec.json" || fail "ia is not an instant clone"
out=$(hv vm start ia --wait 60) || fail "instant clone ia: $out"
echo "$out"
echo "$out" | grep -q "restored from its parent" || fail "ia was not restored: $out"
out=$(hv vm start ib --wait 60) || fail "instant clone ib: $out"
echo "$out" | grep -q "restored from its parent" || fail "ib was not restored: $out"
pass "two instant clones restored and ready"
# Both resumed with the parent's kernel RNG state; each must have been reseeded with the
# host's bytes (guestd logs to the serial console) or they would draw the same keys.
for v in ia ib; do
    grep -q "kernel RNG reseeded with 64 bytes from the host" "$STATE/vms/$v/serial.log" ||
        fail "$v's RNG was not reseeded after restore (serial log: $(tail -5 "$STATE/vms/$v/serial.log"))"
done
pass "each clone's kernel RNG reseeded from the host after restore"

port=$(vm_port ia)
python3 - "$port" <<'PY' || fail "instant clone's RDP port does not answer X.224"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(bytes.fromhex("030000130ee000000000000100080003000000"))
s.settimeout(10)
r = s.recv(64)
sys.exit(0 if len(r) >= 11 and r[0] == 3 and (r[5] & 0xF0) == 0xD0 else 1)
PY
export PW_A='Clone-A-pass-1' PW_B='Clone-B-pass-2'
printf '%s\n' "$PW_A" | hv qga ia set-password alice >/dev/null || fail "set password on ia"
printf '%s\n' "$PW_B" | hv qga ib set-password bob >/dev/null || fail "set password on ib"
# The probe stays logged in a few seconds after its frame, so the session can be seen.
"$PROBE" --user alice --password-env PW_A --timeout 40 --settle-ms 6000 --json \
    "127.0.0.1:$port" >"$work/probe.json" 2>&1 &
PROBE_PID=$!
login=
for _ in $(seq 80); do
    login=$(hv qga ia guest-get-users 2>/dev/null | tr -d ' \n' |
        sed -n 's/.*"user":"alice"[^}]*"login-time":\([0-9]*\).*/\1/p')
    [ -n "$login" ] && break
    sleep 0.25
done
host_now=$(date +%s)
wait "$PROBE_PID" || fail "deskpool-probe on the instant clone: $(cat "$work/probe.json")"
PROBE_PID=
pass "X.224 answers and deskpool-probe gets a frame with the QGA-set password"
[ -n "$login" ] || fail "guest-get-users never listed alice's session"
skew=$((host_now - login))
[ "${skew#-}" -le 10 ] ||
    fail "guest clock off by $skew s after restore (parent saved $age+ s ago; not corrected)"
pass "guest clock corrected after restore (login time within ${skew#-} s of the host)"

hv qga ia guest-shutdown >/dev/null || fail "shutdown ia"
hv qga ib guest-shutdown >/dev/null || fail "shutdown ib"
wait_state ia stopped 30 || fail "ia did not power off"
wait_state ib stopped 30 || fail "ib did not power off"
sam_a=$(disk_cat "$STATE/vms/ia/disk.qcow2" /var/lib/deskpool/sam)
sam_b=$(disk_cat "$STATE/vms/ib/disk.qcow2" /var/lib/deskpool/sam)
sam_p=$(disk_cat "$pdir/disk.qcow2" /var/lib/deskpool/sam)
echo "$sam_a" | grep -q '^alice:' || fail "clone A's write is not in its overlay"
echo "$sam_a" | grep -q '^bob:' && fail "clone B's write is visible in clone A"
echo "$sam_b" | grep -q '^bob:' || fail "clone B's write is not in its overlay"
echo "$sam_b" | grep -q '^alice:' && fail "clone A's write is visible in clone B"
echo "$sam_p" | grep -qE '^(alice|bob):' && fail "a clone's write leaked into the parent disk"
[ "$(sha256sum "$pdir/disk.qcow2" | cut -d' ' -f1)" = "$disk_sha" ] || fail "parent disk changed"
[ "$(sha256sum "$pdir/state" | cut -d' ' -f1)" = "$state_sha" ] || fail "parent state changed"
pass "guest writes stay in each clone; parent disk and state sha256 unchanged"

# A disk that has run must never get the parent's RAM again: it boots.
out=$(hv vm start ia --wait 120) || fail "restart of ia: $out"
echo "$out" | grep -q "cold boot: its disk has run" || fail "ia restarted without cold boot: $out"
hv vm kill ia >/dev/null
pass "a clone whose disk has run boots cold"

# Corrupt state (its header overwritten): the checksum catches it before QEMU sees it. (Both clones are defined
# while the parent is whole: defining one on a damaged parent already makes it a boot VM.)
new_vm ic --clone instant
new_vm id --clone instant
cp -p "$pdir/state" "$work/state.orig"
cp -p "$pdir/meta.json" "$work/meta.orig"
printf 'garbage!' | dd of="$pdir/state" bs=1 seek=0 conv=notrunc status=none
out=$(hv vm start ic --wait 120) || fail "corrupt state: no boot fallback: $out"
echo "$out"
echo "$out" | grep -q "cold boot: parent unusable: .*corrupt (sha256" || fail "reason not given: $out"
hv --json parent list | grep -q '"usable": false' || fail "parent list does not flag the damage"
hv vm kill ic >/dev/null
pass "corrupt state file: boot fallback with the reason"

# A state QEMU cannot load (checksum made to match): the failed restore is killed, then boot.
bad_sha=$(sha256sum "$pdir/state" | cut -d' ' -f1)
sed "s/$state_sha/$bad_sha/" "$work/meta.orig" >"$pdir/meta.json"
touch -r "$work/meta.orig" "$pdir/meta.json"
out=$(hv vm start id --wait 120) || fail "unloadable state: no boot fallback: $out"
echo "$out"
echo "$out" | grep -q "cold boot: restore failed" || fail "reason not given: $out"
[ "$(vm_state id)" = running ] || fail "fallback VM not running"
[ "$(pgrep -fc "$STATE/vms/id/qmp.sock" || true)" = 1 ] || fail "failed restore's QEMU left behind"
pass "state QEMU cannot load: restore killed, boot fallback"
