#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Bad input and unresponsive VMs: each gives one clear error, leaves no QEMU process or stray
# overlay, and never touches a base image; QMP/QGA clients time out instead of hanging.
# Needs: qemu-system-x86 qemu-utils netcat-openbsd and the tiny template's packages.
source "$(dirname "$0")/lib.sh" "$@"

ensure_tiny
base=$(hv --json template list | sed -n 's/.*"base": "\(.*\)".*/\1/p' | tail -1)
sha_before=$(sha256sum "$base" | cut -d' ' -f1)
qemu_count() { pgrep -fc "$STATE/vms/$1/" || true; }

# Unknown template: clear message, no folder.
out=$(hv vm create ghost --template nosuch 2>&1) && fail "create on a missing template worked"
echo "$out" | grep -q 'no template named "nosuch"' || fail "message for missing template: $out"
[ ! -d "$STATE/vms/ghost" ] || fail "stray VM folder after failed create"
pass "missing template refused: $out"

# A base that is not qcow2 (raw) given to the driver directly.
tmp=$(mktemp -d)
qemu-img create -q -f raw "$tmp/raw.img" 16M
hv template import rawt "$tmp/raw.img" >/dev/null || fail "import raw"
raw_base=$(ls "$STATE"/templates/rawt/*/base.qcow2 | tail -1)
qemu-img info "$raw_base" | grep -q 'file format: qcow2' || fail "import did not convert to qcow2"
pass "raw image imported as qcow2"

# Port already taken: refused before QEMU starts, nothing left running.
nc -l 127.0.0.1 47999 >/dev/null 2>&1 &
ncpid=$!
sleep 0.3
new_vm porty --rdp-port 47999
out=$(hv vm start porty 2>&1) && fail "start on a taken port worked"
echo "$out" | grep -q "47999.*already in use" || fail "message for taken port: $out"
[ "$(qemu_count porty)" = 0 ] || fail "QEMU left running after port failure"
kill $ncpid 2>/dev/null || true
pass "taken port refused: $out"

# QEMU missing from PATH.
out=$(PATH=/nonexistent "$HV_BIN" --state "$STATE" vm start porty 2>&1) && fail "start without QEMU"
echo "$out" | grep -q "apt-get install qemu-system-x86" || fail "message for missing QEMU: $out"
pass "missing QEMU: $out"

# Corrupt template file: the VM's backing base disappears (simulated on a copy of the store).
new_vm broken
victim=$(ls -d "$STATE"/templates/tiny/*/ | tail -1)
chmod u+w "$victim/base.qcow2"
mv "$victim/base.qcow2" "$tmp/base.moved"
out=$(hv vm start broken 2>&1) && fail "start with a missing base worked"
mv "$tmp/base.moved" "$victim/base.qcow2"
chmod 0444 "$victim/base.qcow2"
echo "$out" | grep -q "missing or corrupt" || fail "message for missing base: $out"
[ "$(qemu_count broken)" = 0 ] || fail "QEMU left running after missing base"
pass "missing base: $out"

# A VM that never becomes ready (kernel panics: no root disk) is stopped, with the log named.
new_vm noready
sed -i 's#root=/dev/vda#root=/dev/nonexistent#' "$STATE/vms/noready/spec.json"
out=$(hv vm start noready --wait 15 --no-rdp-check 2>&1) && fail "a broken VM became ready"
echo "$out" | grep -q "serial log" || fail "message for never-ready VM: $out"
[ "$(qemu_count noready)" = 0 ] || fail "QEMU left running after readiness timeout"
pass "never-ready VM: $out"

# QMP/QGA against a VM that stops answering: a paused guest cannot answer QGA; a stopped
# (SIGSTOP) QEMU cannot answer QMP. Both calls must fail within their deadline, not hang.
new_vm hang
hv vm start hang --wait 120 --no-rdp-check >/dev/null || fail "start hang"
hv qmp hang stop >/dev/null
t0=$SECONDS
out=$(timeout 60 "$HV_BIN" --state "$STATE" qga hang guest-ping 2>&1) && fail "paused guest answered"
[ $((SECONDS - t0)) -le 30 ] || fail "QGA call took $((SECONDS - t0)) s"
pass "QGA against a paused guest: $out"
hv qmp hang cont >/dev/null
pid=$(vm_pid hang)
kill -STOP "$pid"
t0=$SECONDS
out=$(timeout 60 "$HV_BIN" --state "$STATE" qmp hang query-status 2>&1) && fail "stopped QEMU answered"
[ $((SECONDS - t0)) -le 30 ] || fail "QMP call took $((SECONDS - t0)) s"
st=$(timeout 60 "$HV_BIN" --state "$STATE" vm status hang 2>&1)
echo "$st" | grep -q unknown || fail "status of a hung QEMU should be unknown: $st"
kill -CONT "$pid"
pass "QMP against a hung QEMU: $out"
hv vm kill hang >/dev/null
alive "$pid" && fail "kill left QEMU running"
pass "kill"

[ "$(sha256sum "$base" | cut -d' ' -f1)" = "$sha_before" ] || fail "base image changed"
rm -rf "$tmp"
pass "base image unchanged through all failures"
