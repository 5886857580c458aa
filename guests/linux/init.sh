#!/bin/busybox sh
# /init of the HyperFresh Linux test guest. Prints on the console (ttyS0):
#   LINUXBOOT kernel=<release> cpus=<n> memtotal_kb=<n>        once
#   LINUXHB seq=<n> uptime=<seconds>                            every second
#   memcheck ok seq=<n> | memcheck FAIL seq=<n>                 after each heartbeat
# The memory check copies a random reference file held in RAM and compares checksums: a page that changed
# under the guest (lost or corrupted in a handover) shows up as FAIL. Its size in MiB comes from hf_memcheck_mib=
# on the kernel command line (default 4); 0 turns it off.
/bin/busybox mkdir -p /proc /sys /dev /tmp /sbin /usr/bin /usr/sbin
/bin/busybox mount -t proc proc /proc
/bin/busybox --install -s
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

mib=4
for arg in $(cat /proc/cmdline); do
    case $arg in hf_memcheck_mib=*) mib=${arg#hf_memcheck_mib=} ;; esac
done

echo "LINUXBOOT kernel=$(uname -r) cpus=$(grep -c ^processor /proc/cpuinfo) memtotal_kb=$(awk '/^MemTotal/ {print $2}' /proc/meminfo)"

if [ "$mib" -gt 0 ]; then
    dd if=/dev/urandom of=/tmp/memref bs=1048576 count="$mib" 2>/dev/null
    ref=$(md5sum < /tmp/memref)
fi
seq=0
while true; do
    read -r up idle < /proc/uptime
    echo "LINUXHB seq=$seq uptime=$up"
    if [ "$mib" -gt 0 ]; then
        cp /tmp/memref /tmp/memcopy
        if [ "$(md5sum < /tmp/memcopy)" = "$ref" ]; then
            echo "memcheck ok seq=$seq"
        else
            echo "memcheck FAIL seq=$seq"
        fi
        rm -f /tmp/memcopy
    fi
    seq=$((seq + 1))
    sleep 1
done
