#!/usr/bin/env bash
# Builds the HyperFresh Linux test guest from Debian packages, without root and without installing anything:
#   ${XDG_CACHE_HOME:-~/.cache}/hyperfresh/linux/vmlinuz           Debian's kernel (linux-image-amd64's bzImage)
#   ${XDG_CACHE_HOME:-~/.cache}/hyperfresh/linux/initramfs.cpio.gz static busybox + guests/linux/init.sh as /init,
#                                                                  the kernel's virtio modules for a disk and a
#                                                                  network card, and its ACPI button driver
# Idempotent: does nothing when both exist and were built from the same package versions and init script.
# Needs apt-get (with package lists: run `apt-get update` as root once), dpkg-deb, cpio, gzip.
set -euo pipefail

# What /init loads, in this order (dependencies first, as `modprobe --show-depends` has them for Debian's kernel),
# when the guest has PCI: hfvisor's virtio block device (virtio_blk) and virtio network device (failover,
# net_failover, virtio_net). init.sh has the same list.
VIRTIO_MODULES="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_blk failover net_failover virtio_net"
# And always, where the firmware has ACPI: the driver of ACPI's power button (hfvisor's `shutdown` presses it).
ACPI_MODULES="button"

HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd -P)
OUT=${XDG_CACHE_HOME:-$HOME/.cache}/hyperfresh/linux
mkdir -p "$OUT"

for tool in apt-get apt-cache dpkg-deb cpio gzip md5sum; do
    command -v "$tool" >/dev/null || { echo "fetch-and-build: $tool is missing" >&2; exit 1; }
done

# linux-image-amd64 is a metapackage: the kernel is in the versioned package it depends on.
kernel_pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
if [[ -z $kernel_pkg ]]; then
    echo "fetch-and-build: apt knows no linux-image-amd64; run 'apt-get update' (as root) first" >&2
    exit 1
fi
version_of() { apt-cache show --no-all-versions "$1" | awk '/^Version:/ {print $2; exit}'; }
stamp="$kernel_pkg=$(version_of "$kernel_pkg") busybox-static=$(version_of busybox-static) init=$(md5sum < "$HERE/init.sh" | cut -d' ' -f1) modules=${VIRTIO_MODULES// /+}+$ACPI_MODULES"

if [[ -f $OUT/vmlinuz && -f $OUT/initramfs.cpio.gz && $(cat "$OUT/stamp" 2>/dev/null) == "$stamp" ]]; then
    echo "fetch-and-build: up to date in $OUT ($stamp)"
    exit 0
fi

work=$(mktemp -d "$OUT/build.XXXXXX")
chmod 755 "$work" # apt-get download drops privileges to _apt and must reach it
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download -q "$kernel_pkg" busybox-static >/dev/null)
dpkg-deb -x "$work"/linux-image-*.deb "$work/kernel"
dpkg-deb -x "$work"/busybox-static_*.deb "$work/busybox"

root=$work/root
mkdir -p "$root/bin" "$root/dev" "$root/proc" "$root/sys" "$root/tmp"
install -m 0755 "$work/busybox/bin/busybox" "$root/bin/busybox"
install -m 0755 "$HERE/init.sh" "$root/init"
mkdir -p "$root/lib/modules"
for m in $VIRTIO_MODULES $ACPI_MODULES; do
    ko=$(find "$work/kernel/lib/modules" -name "$m.ko" -print -quit)
    [[ -n $ko ]] || { echo "fetch-and-build: $kernel_pkg has no $m.ko" >&2; exit 1; }
    install -m 0644 "$ko" "$root/lib/modules/$m.ko"
done
# No /dev/console here: the kernel's built-in initramfs already has it, and ours is unpacked on top.
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --owner=0:0 --quiet) | gzip -9 > "$work/initramfs.cpio.gz"

install -m 0644 "$work"/kernel/boot/vmlinuz-* "$OUT/vmlinuz.new"
mv "$OUT/vmlinuz.new" "$OUT/vmlinuz"
mv "$work/initramfs.cpio.gz" "$OUT/initramfs.cpio.gz"
echo "$stamp" > "$OUT/stamp"
echo "fetch-and-build: built $OUT/vmlinuz and $OUT/initramfs.cpio.gz ($stamp)"
