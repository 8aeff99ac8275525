#!/bin/sh
# /init of the co86 test guest (busybox sh; installed by images/build.sh).
#
# Markers, each on a line of its own, written to ttyS0 and to the VGA console (tty1):
#   BOOT-OK uptime=<s>              userspace is running; <s> is the guest's own /proc/uptime
#   NET-OK <if> <mac>               the NE2000 PCI driver found a card (one line per interface)
#   NET-MISSING                     no network interface besides lo (never fails the boot)
#   PCI <slot> <vendor>:<device>    each PCI function the kernel sees, e.g. "PCI 00:01.1 8086:7010"
#   DISK <name> <sectors>           each disk after the IDE/SCSI modules load (512-byte sectors), e.g. "DISK sda 40960"
#   CDROM <name>                    each CD-ROM drive, e.g. "CDROM sr0"
#   STORAGE-DONE disks=<n> cdroms=<n>   the storage listing is complete
#   FLOPPY <name>                   each floppy drive after floppy.ko loads (from the CMOS drive types), e.g. "FLOPPY fd0"
#   MOUSE <name>                    each PS/2 mouse after psmouse.ko loads, e.g. "MOUSE ImPS/2 Generic Wheel Mouse"
#   INPUT-DONE floppies=<n> mice=<n>    the floppy and mouse listing is complete
#   BENCH-START                     only with co86.bench on the kernel command line, then
#   BENCH <name> <ms> ms ...        from /bin/bench (BENCH-WRONG <name> ... for a wrong result)
#   BENCH-DONE                      the benchmark finished
#   BENCH-FAILED status=<n>         it exited with status n (a wrong result, or a crash: 128+signal)
# Then a root shell on the console (ttyS0 with console=tty0 console=ttyS0), respawned when it exits,
# and one on tty1 for the keyboard and screen when the console is not already tty1.

export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root TERM=linux

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
hostname co86

# say LINE: one line to the serial port and the screen; a missing device is not an error
say() {
    echo "$*" > /dev/ttyS0 2> /dev/null
    echo "$*" > /dev/tty1 2> /dev/null
}

read -r uptime _ < /proc/uptime
say "BOOT-OK uptime=$uptime"

# The NIC driver: the modules in load order (8390 before ne2k-pci), listed by build.sh
while read -r module; do
    insmod "/lib/modules/$module.ko" || say "NET: insmod $module failed"
done < /lib/modules/net.order
found=
for dev in /sys/class/net/*; do
    name=${dev##*/}
    [ "$name" = lo ] || [ ! -e "$dev/address" ] && continue
    say "NET-OK $name $(cat "$dev/address")"
    found=1
done
[ -n "$found" ] || say NET-MISSING

for dev in /sys/bus/pci/devices/*; do
    [ -e "$dev/vendor" ] || continue
    vendor=$(cat "$dev/vendor") device=$(cat "$dev/device")
    slot=${dev##*/}
    say "PCI ${slot#0000:} ${vendor#0x}:${device#0x}"
done

# The storage drivers: libata probes the PIIX IDE channels, then sd/sr attach disks and CD-ROMs.
while read -r module; do
    insmod "/lib/modules/$module.ko" || say "STORAGE: insmod $module failed"
done < /lib/modules/storage.order
# SCSI scanning finishes asynchronously: wait (guest time) until the device list stops changing.
last= settled=0 tries=0
while [ "$settled" -lt 2 ] && [ "$tries" -lt 20 ]; do
    now=$(ls /sys/block 2> /dev/null | tr '\n' ' ')
    if [ "$now" = "$last" ]; then settled=$((settled + 1)); else settled=0; fi
    last=$now tries=$((tries + 1))
    sleep 1
done
disks=0 cdroms=0
for dev in /sys/block/sd* /sys/block/sr*; do
    [ -e "$dev" ] || continue
    name=${dev##*/}
    case $name in
    sr*) say "CDROM $name"; cdroms=$((cdroms + 1)) ;;
    *) say "DISK $name $(cat "$dev/size")"; disks=$((disks + 1)) ;;
    esac
done
say "STORAGE-DONE disks=$disks cdroms=$cdroms"

# The floppy and PS/2 mouse drivers, after the storage listing so they add nothing before it. psmouse
# probes from the serio workqueue: wait (guest time, at most 3 s) until a PS/2 mouse shows up.
while read -r module; do
    insmod "/lib/modules/$module.ko" 2> /dev/null || say "INPUT: insmod $module failed"
done < /lib/modules/extra.order
mouse=
for try in 1 2 3; do
    for name in /sys/class/input/input*/name; do
        case $(cat "$name" 2> /dev/null) in *PS/2*Mouse*) mouse=1 ;; esac
    done
    [ -n "$mouse" ] && break
    sleep 1
done
floppies=0
for dev in /sys/block/fd*; do
    [ -e "$dev" ] || continue
    say "FLOPPY ${dev##*/}" # its size reads 0 until the drive is opened and the media known
    floppies=$((floppies + 1))
done
mice=0
for name in /sys/class/input/input*/name; do
    name=$(cat "$name" 2> /dev/null)
    case $name in *PS/2*Mouse*) say "MOUSE $name"; mice=$((mice + 1)) ;; esac
done
say "INPUT-DONE floppies=$floppies mice=$mice"

case " $(cat /proc/cmdline) " in
*" co86.bench "* | *" co86.bench="*)
    say BENCH-START
    # the status rides through the pipe as a last line, so a crash is reported rather than silent
    { bench; echo "BENCH-STATUS $?"; } 2>&1 | while read -r line; do
        case $line in
        "BENCH-STATUS 0") ;;
        BENCH-STATUS*) say "BENCH-FAILED status=${line#BENCH-STATUS }" ;;
        *) say "$line" ;;
        esac
    done
    ;;
esac

# From here on the console belongs to the shell: keep routine kernel messages (link up, ...) from
# landing in the middle of a command's output. Warnings and worse still show.
dmesg -n 4

active=$(cat /sys/class/tty/console/active 2> /dev/null)
case ${active##* } in # cttyhack opens the last console listed there
tty[0-9]*) ;;
*)
    while true; do
        setsid sh -c 'exec sh -i < /dev/tty1 > /dev/tty1 2>&1'
        sleep 1
    done &
    ;;
esac
while true; do
    setsid cttyhack sh
    sleep 1
done
