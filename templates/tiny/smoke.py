#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Boots a tiny template built by build.sh under QEMU (TCG) and checks the guest
contract by hand, the way the broker will use it:

  1. guest-ping answers over QGA (time from QEMU launch is printed),
  2. with a desktop server: port 3389 answers an X.224 Connection Request,
  3. guest-set-user-password works and crypted:true is refused,
  4. guest-shutdown powers the guest off (QEMU exits),
  5. the SAM line landed in the overlay and the base image is unchanged,
  6. a second boot powers off on QMP system_powerdown.

usage: smoke.py OUTDIR [--boots N]  (default 2: even boots end with guest-shutdown,
       odd ones with QMP system_powerdown)    (needs qemu-system-x86, qemu-utils, e2fsprogs)
Exit status 0 when every check passed.
"""
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time


def fail(msg):
    print(f"smoke: FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Vm:
    def __init__(self, out, work, name):
        self.meta = json.load(open(os.path.join(out, "meta.json")))
        self.dir = os.path.join(work, name)
        os.makedirs(self.dir)
        self.disk = os.path.join(self.dir, "disk.qcow2")
        self.qga = os.path.join(self.dir, "qga.sock")
        self.qmp = os.path.join(self.dir, "qmp.sock")
        self.serial = os.path.join(self.dir, "serial.log")
        self.port = free_port()
        base = os.path.join(out, self.meta["disk"])
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", base, "-F", "qcow2",
                        self.disk], check=True)
        m = self.meta
        self.cmd = [
            "qemu-system-x86_64", "-accel", "tcg", "-m", str(m["memory_mb"]),
            "-smp", str(m["vcpus"]),
            "-kernel", os.path.join(out, m["kernel"]),
            "-initrd", os.path.join(out, m["initrd"]), "-append", m["append"],
            "-drive", f"file={self.disk},if=virtio,format=qcow2",
            "-netdev", f"user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:{self.port}-:3389",
            "-device", "virtio-net-pci,netdev=n0",
            "-device", "virtio-serial",
            "-chardev", f"socket,id=qga0,path={self.qga},server=on,wait=off",
            "-device", "virtserialport,chardev=qga0,name=org.qemu.guest_agent.0",
            "-device", "virtio-rng-pci",
            "-qmp", f"unix:{self.qmp},server=on,wait=off",
            "-serial", f"file:{self.serial}", "-display", "none", "-no-reboot",
        ]

    def start(self):
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(self.dir, "qemu.err"), "w"))

    def since(self):
        return time.monotonic() - self.t0

    def qga_call(self, request, timeout=3.0, expect_reply=True):
        """Resyncs with 0xFF + guest-sync-delimited, then sends one request."""
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(timeout)
        s.connect(self.qga)
        try:
            s.sendall(b'\xff{"execute":"guest-sync-delimited","arguments":{"id":777}}\n')
            buf = b""
            while True:
                buf += s.recv(4096)
                i = buf.rfind(b"\xff")
                if i >= 0 and b"\n" in buf[i:]:
                    if json.loads(buf[i + 1:].split(b"\n")[0]).get("return") == 777:
                        break
            s.sendall(json.dumps(request).encode() + b"\n")
            if not expect_reply:
                return None
            buf = b""
            while b"\n" not in buf:
                d = s.recv(4096)
                if not d:
                    raise ConnectionError("QGA channel closed")
                buf += d
            return json.loads(buf.split(b"\n")[0])
        finally:
            s.close()

    def wait_ping(self, limit=30):
        while self.since() < limit:
            if self.proc.poll() is not None:
                fail(f"QEMU exited early; see {self.serial}")
            try:
                if "return" in self.qga_call({"execute": "guest-ping"}, timeout=0.5):
                    return self.since()
            except (OSError, ValueError):
                time.sleep(0.05)
        fail(f"no guest-ping answer within {limit} s; see {self.serial}")

    def wait_rdp(self, limit=40):
        # X.224 Connection Request with RDP_NEG_REQ (TLS|HYBRID); slirp accepts TCP before
        # the guest listens, so only a Connection Confirm (0xD0) proves the server is up.
        cr = bytes([3, 0, 0, 19, 14, 0xE0, 0, 0, 0, 0, 0, 1, 0, 8, 0, 3, 0, 0, 0])
        while self.since() < limit:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(cr)
                    data = s.recv(64)
                    if len(data) >= 6 and data[0] == 3 and data[5] == 0xD0:
                        return self.since()
            except OSError:
                pass
            time.sleep(0.1)
        fail(f"RDP port 3389 gave no X.224 Connection Confirm within {limit} s")

    def wait_exit(self, limit=15):
        try:
            self.proc.wait(limit)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            fail(f"guest did not power off within {limit} s")

    def qmp_run(self, *commands):
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(5)
        s.connect(self.qmp)
        f = s.makefile("rwb")
        f.readline()  # greeting
        for c in ("qmp_capabilities",) + commands:
            f.write(json.dumps({"execute": c}).encode() + b"\n")
            f.flush()
            while b'"return"' not in f.readline():
                pass  # events before the command's reply
        s.close()

    def rss_mb(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) // 1024
        return 0


def debugfs_cat(qcow2, path, work):
    raw = os.path.join(work, "check.raw")
    subprocess.run(["qemu-img", "convert", "-O", "raw", qcow2, raw], check=True)
    r = subprocess.run(["debugfs", "-R", f"cat {path}", raw], capture_output=True, text=True)
    os.unlink(raw)
    return r.stdout


def main():
    args = sys.argv[1:]
    if not args or args[0].startswith("-"):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    out = os.path.abspath(args[0])
    boots = int(args[args.index("--boots") + 1]) if "--boots" in args else 2
    meta = json.load(open(os.path.join(out, "meta.json")))
    base = os.path.join(out, meta["disk"])
    base_sum = sha256(base)
    work = tempfile.mkdtemp(prefix="deskpool-smoke.")
    vms = []
    try:
        for n in range(boots):
            vm = Vm(out, work, f"vm{n}")
            vms.append(vm)
            vm.start()
            ping = vm.wait_ping()
            line = f"boot {n + 1}: guest-ping {ping:.2f} s"
            if meta.get("desktop"):
                line += f", RDP X.224 {vm.wait_rdp():.2f} s"
            print(f"smoke: {line}, QEMU RSS {vm.rss_mb()} MB", flush=True)

            r = vm.qga_call({"execute": "guest-set-user-password", "arguments": {
                "username": "smoke", "password": "cGFzc3dvcmQ=", "crypted": False}})
            if "return" not in r:
                fail(f"guest-set-user-password: {r}")
            r = vm.qga_call({"execute": "guest-set-user-password", "arguments": {
                "username": "smoke", "password": "cGFzc3dvcmQ=", "crypted": True}})
            if "error" not in r:
                fail(f"crypted:true was accepted: {r}")
            r = vm.qga_call({"execute": "guest-network-get-interfaces"})
            if "10.0.2.15" not in json.dumps(r):
                fail(f"eth0 has no 10.0.2.15 (DHCP under slirp): {r}")

            if n % 2 == 0:
                t = time.monotonic()
                vm.qga_call({"execute": "guest-shutdown"}, expect_reply=False)
                vm.wait_exit()
                print(f"smoke: guest-shutdown: QEMU exited after {time.monotonic() - t:.2f} s")
            else:
                t = time.monotonic()
                vm.qmp_run("system_powerdown")
                vm.wait_exit()
                print(f"smoke: system_powerdown: QEMU exited after {time.monotonic() - t:.2f} s")

            sam = debugfs_cat(vm.disk, "/var/lib/deskpool/sam", work)
            if "smoke:::8846f7eaee8fb117ad06bdd830b7586c:::" not in sam:
                fail(f"SAM line not in the overlay (got {sam!r})")
            if sha256(base) != base_sum:
                fail("the base image changed: guests must write only to their overlay")
        print("smoke: all checks passed (SAM line in overlay, base unchanged)")
    finally:
        for vm in vms:  # a failed check must not leave a QEMU behind
            if getattr(vm, "proc", None) and vm.proc.poll() is None:
                vm.proc.kill()
                vm.proc.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
