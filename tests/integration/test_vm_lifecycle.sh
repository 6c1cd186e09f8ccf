#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A VM cloned from the tiny template as a differencing disk boots under QEMU (TCG), answers
# its guest agent, keeps writes in its overlay (the base stays byte-identical), is found again
# by another process, stops gracefully, and a disk reset discards what the guest wrote.
# Needs: qemu-system-x86 qemu-utils e2fsprogs (debugfs) and the tiny template's packages.
source "$(dirname "$0")/lib.sh" "$@"

ensure_tiny
base=$(hv --json template list | sed -n 's/.*"base": "\(.*\)".*/\1/p' | tail -1)
[ -f "$base" ] || fail "no tiny base image found"
sha_before=$(sha256sum "$base" | cut -d' ' -f1)

new_vm life
out=$(hv vm start life --wait 120 --no-rdp-check) || fail "VM did not become ready: $out"
echo "$out"
pass "clone boots and its guest agent answers"

hv qga life guest-ping >/dev/null || fail "guest-ping"
hv qga life guest-info | grep -q '"guest-set-user-password"' || fail "guest-info lists commands"
pass "guest-ping, guest-info"

echo 'S3cret!pass' | hv qga life set-password alice >/dev/null || fail "guest-set-user-password"
hv qga life guest-get-users | grep -q '^\[' || fail "guest-get-users returns a list"
hv qga life guest-network-get-interfaces | grep -q '10.0.2.15' ||
    fail "guest network interfaces (expected the slirp address 10.0.2.15)"
hv qga life deskpool-set-host-name '{"host-name":"life-desk"}' >/dev/null || fail "set host name"
pass "set-user-password, get-users, network interfaces, host name"

# A second, independent process re-finds the running VM from its folder.
[ "$(vm_state life)" = running ] || fail "status from a new process should be running"
pid=$(vm_pid life)
[ -n "$pid" ] && alive "$pid" || fail "QEMU pid from status is not alive"
pass "re-attach from another process (pid $pid)"

# Graceful shutdown from inside the guest: QEMU exits by itself.
hv qga life guest-shutdown >/dev/null || fail "guest-shutdown"
wait_state life stopped 30 || fail "VM did not power off after guest-shutdown"
pass "guest-shutdown powers the VM off"

disk="$STATE/vms/life/disk.qcow2"
disk_cat "$disk" /var/lib/deskpool/sam | grep -q '^alice:' ||
    fail "the credential the guest wrote is not in the overlay"
disk_cat "$base" /var/lib/deskpool/sam | grep -q 'alice' && fail "guest write leaked into the base"
disk_cat "$disk" /var/lib/deskpool/sam | grep -qi 's3cret' && fail "plaintext password on disk"
[ "$(sha256sum "$base" | cut -d' ' -f1)" = "$sha_before" ] || fail "base image changed"
qemu-img check -q "$disk" || fail "overlay not clean"
pass "guest writes are in the overlay only; base sha256 unchanged"

# Graceful stop from the host (ACPI power button).
hv vm start life --wait 120 --no-rdp-check >/dev/null || fail "restart"
disk_cat "$disk" /var/lib/deskpool/sam >/dev/null # readable while running (-U)
stop_log=$(hv --log-level info vm stop life --timeout 30 2>&1) || fail "vm stop: $stop_log"
echo "$stop_log" | grep -q "forcing" && fail "ACPI power-down ignored; VM had to be forced off"
[ "$(vm_state life)" = stopped ] || fail "state after stop"
pass "graceful stop via system_powerdown"

hv vm reset life >/dev/null || fail "reset"
[ -z "$(disk_cat "$disk" /var/lib/deskpool/sam | grep alice)" ] || fail "reset kept guest data"
[ "$(sha256sum "$base" | cut -d' ' -f1)" = "$sha_before" ] || fail "base image changed by reset"
pass "reset discards the overlay's changes"

hv vm destroy life >/dev/null
[ ! -d "$STATE/vms/life" ] || fail "destroy left the VM folder"
alive "$pid" && fail "QEMU still running after destroy"
pass "destroy leaves no process and no files"
