#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# Builds the tiny template from Debian packages only:
#   OUTDIR/vmlinuz      Debian's cloud kernel (virtio drivers are modules)
#   OUTDIR/initrd.img   busybox + the virtio modules; mounts the root disk, switch_root
#   OUTDIR/base.qcow2   ext4 root: busybox, deskpool-guestd, deskpool-desktop (optional)
#                       and the shared libraries they need
#   OUTDIR/meta.json    how to boot it (memory, vcpus, kernel command line, ...)
# No loop mounts, no chroot: the root file system is made with `mke2fs -d DIR`.
# A second run with the same inputs (this script, files/, the binaries, package versions,
# the host libraries copied) only checks a stamp and exits.
set -euo pipefail

usage() {
    echo "usage: $0 OUTDIR GUESTD_BIN [DESKTOP_BIN]" >&2
    echo "  builds OUTDIR/{vmlinuz,initrd.img,base.qcow2,meta.json}; .debs are kept in OUTDIR/debs" >&2
    exit 2
}
[ $# -ge 2 ] && [ $# -le 3 ] || usage

die() {
    echo "build.sh: $*" >&2
    exit 1
}
log() { echo "build.sh: $*" >&2; }

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=$(mkdir -p "$1" && cd "$1" && pwd) || die "cannot create OUTDIR $1"
GUESTD=$(readlink -f "$2")
DESKTOP=${3:+$(readlink -f "$3")}
[ -x "$GUESTD" ] || die "GUESTD_BIN $2 is not an executable file; build it first (cmake --build BUILD --target deskpool-guestd)"
if [ -n "$DESKTOP" ]; then
    [ -x "$DESKTOP" ] || die "DESKTOP_BIN $3 is not an executable file; build it first or leave it out"
fi

MODULES="virtio_pci virtio_net virtio_blk virtio_console virtio_rng button evdev"
MIN_DISK_MB=256
MEMORY_MB=256
VCPUS=1
APPEND="console=ttyS0 root=/dev/vda rw quiet"
MULTIARCH=x86_64-linux-gnu

# --- host tools --------------------------------------------------------------------
ensure_tools() {
    local missing=()
    for t in apt-get apt-cache dpkg dpkg-deb depmod modprobe cpio gzip mke2fs qemu-img ldd sha256sum file; do
        command -v "$t" >/dev/null 2>&1 || missing+=("$t")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local pkgs
    pkgs=$(grep -v '^#' "$HERE/packages.txt" | xargs)
    if [ "$(id -u)" -ne 0 ]; then
        die "missing tools: ${missing[*]}; install them: sudo apt-get install $pkgs"
    fi
    log "installing missing tools (${missing[*]}): $pkgs"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $pkgs >&2 ||
        die "apt-get install failed; run apt-get update and try again"
}
ensure_tools

# --- package versions (part of the cache key) -------------------------------------
kernel_package() {
    apt-cache depends linux-image-cloud-amd64 2>/dev/null |
        sed -n 's/^ *Depends: \(linux-image-[0-9].*-cloud-amd64\)$/\1/p' | head -n1
}
KPKG=$(kernel_package)
if [ -z "$KPKG" ] && [ "$(id -u)" -eq 0 ]; then
    log "apt-cache knows no cloud kernel; running apt-get update"
    apt-get update -q >&2 || true
    KPKG=$(kernel_package)
fi
[ -n "$KPKG" ] || die "apt-cache finds no linux-image-*-cloud-amd64; run apt-get update (as root) and retry"

candidate() { apt-cache policy "$1" | sed -n 's/^ *Candidate: //p'; }
KVER_PKG=$(candidate "$KPKG")
BB_VER=$(candidate busybox-static)
[ -n "$KVER_PKG" ] && [ "$KVER_PKG" != "(none)" ] || die "no installable version of $KPKG"
[ -n "$BB_VER" ] && [ "$BB_VER" != "(none)" ] || die "no installable version of busybox-static"

# --- shared-library closure of the guest programs ---------------------------------
# ldd lists the whole closure (direct and indirect) plus the dynamic loader. Appends the
# paths to LIBLIST; runs in this shell (not a $(...) subshell) so die() stops the build.
LIBLIST=$(mktemp)
trap 'rm -f "$LIBLIST"' EXIT
closure() {
    local bin=$1 out
    out=$(ldd "$bin" 2>&1) || {
        grep -q 'not a dynamic executable' <<<"$out" && return 0
        die "ldd $bin failed: $out"
    }
    if grep -q 'not found' <<<"$out"; then
        die "$bin needs libraries this host lacks: $(grep 'not found' <<<"$out" | xargs); install them"
    fi
    awk '/=> \// { print $3 } /^\t\/[^ ]+ \(/ { print $1 }' <<<"$out" >>"$LIBLIST"
}
OSSL_LEGACY=/usr/lib/$MULTIARCH/ossl-modules/legacy.so
closure "$GUESTD"
if [ -n "$DESKTOP" ]; then closure "$DESKTOP"; fi
# MD4 (NT hash) and RC4 (NTLM) live in OpenSSL 3's legacy provider, which is dlopen()ed,
# so ldd does not see it.
if [ -e "$OSSL_LEGACY" ]; then
    echo "$OSSL_LEGACY" >>"$LIBLIST"
    closure "$OSSL_LEGACY"
fi
LIBS=$(sort -u "$LIBLIST")
[ -e "$OSSL_LEGACY" ] || log "warning: $OSSL_LEGACY missing (package libssl3): guest-set-user-password will fail in the guest"

# --- cache check ------------------------------------------------------------------
stamp_inputs() {
    echo "kernel $KPKG $KVER_PKG"
    echo "busybox-static $BB_VER"
    echo "modules $MODULES"
    echo "meta $MEMORY_MB $VCPUS $APPEND $MIN_DISK_MB"
    sha256sum "$HERE/build.sh" "$HERE"/files/* "$GUESTD" ${DESKTOP:+"$DESKTOP"} | awk '{print $1}'
    # Libraries: identity by path, size and mtime (hashing 160 MB every run is too slow).
    for l in $LIBS; do stat -L -c '%n %s %Y' "$l"; done
}
STAMP=$(stamp_inputs | sha256sum | awk '{print $1}')
if [ -f "$OUT/.stamp" ] && [ "$(cat "$OUT/.stamp")" = "$STAMP" ] &&
    [ -f "$OUT/vmlinuz" ] && [ -f "$OUT/initrd.img" ] && [ -f "$OUT/base.qcow2" ] && [ -f "$OUT/meta.json" ]; then
    log "up to date: $OUT"
    exit 0
fi

# --- downloads --------------------------------------------------------------------
mkdir -p "$OUT/debs"
# Echoes the path of PKG's .deb at version VER in OUT/debs, downloading it if needed.
fetch_deb() {
    local pkg=$1 ver=$2 f
    for f in "$OUT/debs/${pkg}"_*.deb; do
        [ -e "$f" ] || continue
        if [ "$(dpkg-deb -f "$f" Package)" = "$pkg" ] && [ "$(dpkg-deb -f "$f" Version)" = "$ver" ]; then
            echo "$f"
            return 0
        fi
    done
    log "downloading $pkg $ver"
    # -o APT::Sandbox::User=root: the _apt user may not be able to write into OUT/debs.
    (cd "$OUT/debs" && apt-get download -q -o APT::Sandbox::User=root "$pkg=$ver" >&2) ||
        die "apt-get download $pkg=$ver failed; run apt-get update and retry"
    for f in "$OUT/debs/${pkg}"_*.deb; do
        if [ "$(dpkg-deb -f "$f" Version)" = "$ver" ]; then
            echo "$f"
            return 0
        fi
    done
    die "downloaded $pkg but cannot find its .deb in $OUT/debs"
}
KDEB=$(fetch_deb "$KPKG" "$KVER_PKG")
BBDEB=$(fetch_deb busybox-static "$BB_VER")

WORK="$OUT/.work"
rm -rf "$WORK"
mkdir -p "$WORK"
rm -f "$OUT/.stamp"
trap 'rm -rf "$WORK" "$LIBLIST"' EXIT

# --- kernel and modules -----------------------------------------------------------
log "unpacking $(basename "$KDEB")"
dpkg -x "$KDEB" "$WORK/kernel"
KVER=$(ls "$WORK/kernel/lib/modules" 2>/dev/null | head -n1)
[ -n "$KVER" ] || die "$KDEB has no lib/modules/VERSION; is it a linux-image package?"
[ -f "$WORK/kernel/boot/vmlinuz-$KVER" ] || die "$KDEB has no boot/vmlinuz-$KVER"
# The .deb ships no modules.dep (the postinst makes it): make one for modprobe below.
depmod -b "$WORK/kernel" "$KVER"

dpkg -x "$BBDEB" "$WORK/busybox"
BUSYBOX="$WORK/busybox/bin/busybox"
file -L "$BUSYBOX" | grep -q 'statically linked' || die "$BUSYBOX is not static; is $BBDEB busybox-static?"

# Makes RELATIVE links for every applet under DIR (busybox at DIR/bin/busybox).
# `busybox --install -s` would link to the absolute host path, which does not exist in
# the guest (the kernel panics at switch_root).
install_applets() {
    local dir=$1 path depth up
    "$BUSYBOX" --list-full | while read -r path; do
        [ -n "$path" ] || continue
        [ -e "$dir/$path" ] || [ -L "$dir/$path" ] && continue
        mkdir -p "$dir/$(dirname "$path")"
        depth=$(($(tr -cd / <<<"$path" | wc -c)))
        if [ "$(dirname "$path")" = bin ]; then
            ln -s busybox "$dir/$path"
        else
            up=""
            for ((i = 0; i < depth; i++)); do up="../$up"; done
            ln -s "${up}bin/busybox" "$dir/$path"
        fi
    done
}

# --- initramfs --------------------------------------------------------------------
log "building the initramfs"
INITRD="$WORK/initrd"
mkdir -p "$INITRD"/{bin,dev,proc,sys,newroot,etc,lib/modules}
cp "$BUSYBOX" "$INITRD/bin/busybox"
install_applets "$INITRD"
install -m 0755 "$HERE/files/init" "$INITRD/init"
: >"$WORK/insmods"
for m in $MODULES; do
    modprobe -d "$WORK/kernel" -S "$KVER" --show-depends "$m" >>"$WORK/insmods" ||
        die "kernel $KVER has no module $m"
done
: >"$INITRD/etc/modules.order"
for ko in $(awk '$1 == "insmod" && !seen[$2]++ { print $2 }' "$WORK/insmods"); do
    base=$(basename "$ko")
    case "$base" in
    *.ko.xz) xz -dc "$ko" >"$INITRD/lib/modules/${base%.xz}" && base=${base%.xz} ;;
    *.ko.zst) zstd -qdc "$ko" >"$INITRD/lib/modules/${base%.zst}" && base=${base%.zst} ;;
    *) cp "$ko" "$INITRD/lib/modules/$base" ;;
    esac
    echo "$base" >>"$INITRD/etc/modules.order"
done
[ -s "$INITRD/etc/modules.order" ] || die "no modules found for: $MODULES"
(cd "$INITRD" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
    gzip -9 -n >"$WORK/initrd.img"

# --- root file system -------------------------------------------------------------
log "building the root file system"
ROOT="$WORK/root"
mkdir -p "$ROOT"/{bin,sbin,usr/bin,usr/sbin,usr/lib,usr/lib64,usr/libexec/deskpool,usr/share/udhcpc}
mkdir -p "$ROOT"/{dev,proc,sys,run,tmp,root,etc/init.d,var/lib/deskpool}
# Merged-/usr layout, as on the host ldd ran on; relative links only.
ln -s usr/lib "$ROOT/lib"
ln -s usr/lib64 "$ROOT/lib64"
cp "$BUSYBOX" "$ROOT/bin/busybox"
install_applets "$ROOT"
install -m 0755 "$GUESTD" "$ROOT/usr/sbin/deskpool-guestd"
if [ -n "$DESKTOP" ]; then install -m 0755 "$DESKTOP" "$ROOT/usr/bin/deskpool-desktop"; fi
for l in $LIBS; do
    rel=${l#/}
    rel=${rel#usr/}
    dest="$ROOT/usr/$rel"
    mkdir -p "$(dirname "$dest")"
    cp -L "$l" "$dest"
done
install -m 0755 "$HERE/files/rcS" "$ROOT/etc/init.d/rcS"
install -m 0755 "$HERE/files/network" "$ROOT/etc/init.d/network"
install -m 0644 "$HERE/files/inittab" "$ROOT/etc/inittab"
install -m 0755 "$HERE/files/udhcpc.script" "$ROOT/usr/share/udhcpc/default.script"
install -m 0755 "$HERE/files/run-desktop" "$ROOT/usr/libexec/deskpool/run-desktop"
echo "deskpool-tiny" >"$ROOT/etc/hostname"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$ROOT/etc/passwd"
printf 'root:x:0:\ntty:x:5:\n' >"$ROOT/etc/group"
printf '127.0.0.1 localhost\n::1 localhost\n' >"$ROOT/etc/hosts"
ln -s ../run/resolv.conf "$ROOT/etc/resolv.conf"
chmod 0700 "$ROOT/var/lib/deskpool"
if [ -n "$DESKTOP" ]; then
    # RSA key generation takes seconds under TCG: do it once here, not at every boot.
    "$DESKTOP" --make-cert --state "$ROOT/var/lib/deskpool" >&2 ||
        die "$DESKTOP --make-cert failed making the desktop's TLS certificate"
fi

# Any absolute symlink would point into the build host, not the guest.
if bad=$(find "$ROOT" "$INITRD" -type l -lname '/*' | head -n3) && [ -n "$bad" ]; then
    die "absolute symlinks in the image: $bad"
fi

USED_MB=$(du -sm "$ROOT" | awk '{print $1}')
DISK_MB=$((USED_MB * 5 / 4 + 48))
[ "$DISK_MB" -lt "$MIN_DISK_MB" ] && DISK_MB=$MIN_DISK_MB
log "root file system: ${USED_MB} MiB of files on a ${DISK_MB} MiB disk"
# lazy_*_init=0: initialise inode tables and journal now, so the guest kernel does not
# do it in the background on first mount (writing it all into every desktop's overlay).
mke2fs -q -F -t ext4 -L deskpool-root -d "$ROOT" -E root_owner=0:0,lazy_itable_init=0,lazy_journal_init=0 \
    "$WORK/root.img" "${DISK_MB}M" || die "mke2fs failed making the root file system"
qemu-img convert -q -f raw -O qcow2 "$WORK/root.img" "$WORK/base.qcow2" || die "qemu-img convert failed"

# --- publish ----------------------------------------------------------------------
cp "$WORK/kernel/boot/vmlinuz-$KVER" "$WORK/vmlinuz"
cat >"$WORK/meta.json" <<EOF
{
  "format": 1,
  "name": "tiny",
  "kernel": "vmlinuz",
  "initrd": "initrd.img",
  "disk": "base.qcow2",
  "disk_format": "qcow2",
  "memory_mb": $MEMORY_MB,
  "vcpus": $VCPUS,
  "append": "$APPEND",
  "rdp_port": 3389,
  "qga_port": "org.qemu.guest_agent.0",
  "devices": ["virtio-blk", "virtio-net-pci", "virtio-serial", "virtio-rng-pci"],
  "kernel_version": "$KVER",
  "kernel_package": "$KPKG $KVER_PKG",
  "busybox_package": "busybox-static $BB_VER",
  "desktop": $([ -n "$DESKTOP" ] && echo true || echo false),
  "has_rdp": $([ -n "$DESKTOP" ] && echo true || echo false),
  "disk_mb": $DISK_MB
}
EOF
# Rename last, so an interrupted build never leaves a mix of old and new files.
for f in vmlinuz initrd.img base.qcow2 meta.json; do
    mv -f "$WORK/$f" "$OUT/$f"
done
echo "$STAMP" >"$OUT/.stamp"
log "done: $OUT (kernel $KVER, initrd $(du -k "$OUT/initrd.img" | awk '{print $1}') KiB, disk ${DISK_MB} MiB)"
