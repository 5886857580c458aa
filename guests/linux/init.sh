#!/bin/busybox sh
# /init of the HyperFresh Linux test guest. Prints on the console (ttyS0):
#   LINUXBOOT kernel=<release> cpus=<n> memtotal_kb=<n>        once
#   LINUXHB seq=<n> uptime=<seconds>                            every second
#   memcheck ok seq=<n> | memcheck FAIL seq=<n>                 after each heartbeat
# and, with disks (hfvisor's virtio block devices, /dev/vda, vdb, ...), the first one written:
#   LINUXDISK dev=vd<x> size_kb=<n> label=<first line of sector 0>   once per disk
#   diskcheck ok seq=<n> | diskcheck FAIL seq=<n>               after each heartbeat: "LINUXDISKHB seq=<n>" written
#                                                               to 4 KiB block 256 + n % 256, flushed, the page
#                                                               cache dropped, and the block read back from the disk
# and, with hfnet=ADDR/PREFIX@PEER on the kernel command line and a network card (hfvisor's virtio network device,
# eth0), which gets ADDR/PREFIX:
#   LINUXNET dev=eth0 mac=<its MAC> addr=ADDR/PREFIX peer=PEER  once
#   netcheck ok seq=<n> | netcheck FAIL seq=<n>                 after each heartbeat: one ping to PEER, answered
#                                                               within 5 s or FAIL
# and, where the machine has ACPI (hfvisor's does, unless acpi=off), once its power button driver is loaded:
#   LINUXACPI power_button=<presses so far>                     once
#   LINUXPOWERBUTTON seq=<n>                                    when the button was pressed: then it powers off
#                                                               (`poweroff -f`, ACPI's S5)
# The memory check copies a random reference file held in RAM and compares checksums: a page that changed
# under the guest (lost or corrupted in a handover) shows up as FAIL. Its size in MiB comes from hf_memcheck_mib=
# on the kernel command line (default 4); 0 turns it off.
/bin/busybox mkdir -p /proc /sys /dev /tmp /sbin /usr/bin /usr/sbin
/bin/busybox mount -t proc proc /proc
/bin/busybox --install -s
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

mib=4
hfnet=
for arg in $(cat /proc/cmdline); do
    case $arg in
        hf_memcheck_mib=*) mib=${arg#hf_memcheck_mib=} ;;
        hfnet=*/*@*) hfnet=${arg#hfnet=} ;;
    esac
done

echo "LINUXBOOT kernel=$(uname -r) cpus=$(grep -c ^processor /proc/cpuinfo) memtotal_kb=$(awk '/^MemTotal/ {print $2}' /proc/meminfo)"

presses=
if [ -d /sys/firmware/acpi ] && insmod /lib/modules/button.ko; then
    presses=$(cat /sys/firmware/acpi/interrupts/ff_pwr_btn 2>/dev/null | awk '{print $1}')
    echo "LINUXACPI power_button=${presses:=0}"
fi

disk=
if [ -n "$(ls /sys/bus/pci/devices 2>/dev/null)" ]; then
    for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_blk \
             failover net_failover virtio_net; do
        insmod /lib/modules/$m.ko
    done
    for i in 1 2 3 4 5 6 7 8 9 10; do
        [ -b /dev/vda ] && break
        sleep 0.2
    done
    [ -b /dev/vda ] && disk=/dev/vda
    if [ -n "$hfnet" ]; then
        for i in 1 2 3 4 5 6 7 8 9 10; do
            [ -e /sys/class/net/eth0 ] && break
            sleep 0.2
        done
    fi
fi
for dev in /sys/block/vd*; do
    [ -e "$dev" ] || continue
    name=${dev##*/}
    echo "LINUXDISK dev=$name size_kb=$(($(cat $dev/size) / 2)) label=$(dd if=/dev/$name bs=512 count=1 2>/dev/null | head -n 1)"
done

peer=
if [ -n "$hfnet" ] && [ -e /sys/class/net/eth0 ]; then
    peer=${hfnet##*@}
    ip link set lo up
    ip link set eth0 up
    ip addr add "${hfnet%@*}" dev eth0
    echo "LINUXNET dev=eth0 mac=$(cat /sys/class/net/eth0/address) addr=${hfnet%@*} peer=$peer"
fi

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
    if [ -n "$disk" ]; then
        block=$((256 + seq % 256))
        echo "LINUXDISKHB seq=$seq" > /tmp/block
        dd if=/tmp/block of=$disk bs=4096 seek=$block conv=sync,fsync 2>/dev/null
        echo 3 > /proc/sys/vm/drop_caches
        if [ "$(dd if=$disk bs=4096 skip=$block count=1 2>/dev/null | head -n 1)" = "LINUXDISKHB seq=$seq" ]; then
            echo "diskcheck ok seq=$seq"
        else
            echo "diskcheck FAIL seq=$seq"
        fi
    fi
    if [ -n "$peer" ]; then
        if ping -c 1 -W 5 "$peer" >/dev/null 2>&1; then
            echo "netcheck ok seq=$seq"
        else
            echo "netcheck FAIL seq=$seq"
        fi
    fi
    if [ -n "$presses" ] && [ "$(awk '{print $1}' /sys/firmware/acpi/interrupts/ff_pwr_btn)" != "$presses" ]; then
        echo "LINUXPOWERBUTTON seq=$seq"
        sync
        poweroff -f
    fi
    seq=$((seq + 1))
    sleep 1
done
