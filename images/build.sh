#!/usr/bin/env bash
# images/build.sh [OUTDIR]   (default: images/out; run by `npm run image`)
#
# Builds the co86 Linux test guest purely from Debian bookworm packages (see images/README.md):
#   OUTDIR/vmlinuz      i386 bzImage of the newest linux-image-6.1.0-*-686-unsigned
#   OUTDIR/initrd.gz    busybox-static:i386, the 8390 + ne2k-pci modules, the IDE/ATAPI storage modules
#                       (ata_piix, sd_mod, sr_mod, isofs and their dependencies), /bin/bench, /init (init.sh)
#   OUTDIR/co86.iso     isolinux El Torito ISO (no emulation), isohybrid MBR: also boots as a hard disk
#   OUTDIR/VERSIONS     the packages and host tools used;  OUTDIR/SHA256SUMS  hashes of the outputs
#
# The guest's .debs are downloaded with `apt-get download` into OUTDIR/work/debs and never fetched
# again; they are unpacked, never installed. Host tools (gcc-multilib, xorriso, cpio) are installed with
# apt-get when missing, as root or through sudo. Reproducible: times are pinned to SOURCE_DATE_EPOCH
# (default: the kernel image's date in its package), the cpio is sorted and gzip stores no name or time,
# so the same .debs and tools give the same bytes. Re-running with nothing changed only checks the
# outputs against OUTDIR/.inputs (FORCE=1 rebuilds anyway). Runs under a lock (OUTDIR/.lock), so
# parallel callers wait for one build. KERNEL_PACKAGE=name picks another kernel package.
set -euo pipefail
umask 022
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=$(realpath -m "${1:-$HERE/out}")
WORK=$OUT/work
DEBS=$WORK/debs
CMDLINE='console=tty0 console=ttyS0'
NET_MODULES=(8390 ne2k-pci)
# the PIIX IDE controller (libata), disks (sd), CD-ROMs (sr) and ISO 9660, for /init's DISK/CDROM markers
STORAGE_MODULES=(ata_piix sd_mod sr_mod isofs)
# the 82077 floppy controller (fd0) and the PS/2 mouse, loaded by /init after the storage listing (FLOPPY/MOUSE markers)
EXTRA_MODULES=(floppy psmouse)
HOST_TOOLS=(gcc gcc-multilib xorriso cpio)
OUTPUTS=(vmlinuz initrd.gz co86.iso)

die() { echo "images/build.sh: error: $*" >&2; exit 1; }
step() { echo "== $*"; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo > /dev/null; then sudo "$@"
    else die "'$*' needs root, and sudo is not installed; run it as root once, then build again"
    fi
}

mkdir -p "$OUT" "$DEBS"
exec 9> "$OUT/.lock"
if ! flock -n 9; then
    echo "images/build.sh: another build of $OUT is running; waiting for it"
    flock 9
fi

# --- host: the i386 architecture (for apt-get download only) and the build tools -----------------------

if ! dpkg --print-foreign-architectures | grep -qx i386; then
    step "adding the i386 architecture to dpkg (packages are only downloaded, never installed)"
    as_root dpkg --add-architecture i386
fi
installed() { [ "$(dpkg-query -W -f='${Status}' "$1" 2> /dev/null)" = "install ok installed" ]; }
missing=()
for p in "${HOST_TOOLS[@]}"; do installed "$p" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
    step "installing host tools: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" \
        || die "could not install ${missing[*]} with apt-get (apt-get update? a bookworm mirror?)"
fi

# --- the guest's packages: exact candidate versions, downloaded once ------------------------------
# (few apt-cache calls: where APT's binary cache is disabled, as in Docker images, each costs ~1 s)

updated=
apt_update() { # once per run, when the index lacks what we need (e.g. i386 was just added)
    [ -z "$updated" ] || return 1
    updated=1
    if [ "$(id -u)" -ne 0 ] && ! command -v sudo > /dev/null; then
        echo "images/build.sh: the package index lacks packages we need, and apt-get update needs root (no sudo)" >&2
        return 1
    fi
    step "apt-get update (the package index lacks packages we need)"
    as_root apt-get update -q || echo "images/build.sh: apt-get update reported errors; going on" >&2
}
newest_kernel() {
    apt-cache pkgnames linux-image-6.1.0- 2> /dev/null | grep -E '^linux-image-6\.1\.0-[0-9]+-686-unsigned$' \
        | sort -V | tail -n 1
}
if [ -z "${KERNEL_PACKAGE:-}" ]; then
    KERNEL_PACKAGE=$(newest_kernel)
    if [ -z "$KERNEL_PACKAGE" ] && apt_update; then KERNEL_PACKAGE=$(newest_kernel); fi
    [ -n "$KERNEL_PACKAGE" ] \
        || die "no linux-image-6.1.0-*-686-unsigned for i386 in the apt index (a bookworm mirror in /etc/apt/sources.list*?)"
fi
PACKAGES=("$KERNEL_PACKAGE:i386" busybox-static:i386 isolinux:all syslinux-common:all)

declare -A VERSION=() DEB=()
lookup_versions() { # VERSION[name:arch] = candidate version
    local spec version
    while read -r spec version; do VERSION[$spec]=$version; done < <(
        apt-cache show --no-all-versions "${PACKAGES[@]}" 2> /dev/null | awk -v RS= '{
            n = split($0, line, "\n"); p = a = v = ""
            for (i = 1; i <= n; i++) {
                if (line[i] ~ /^Package: /) p = substr(line[i], 10)
                else if (line[i] ~ /^Architecture: /) a = substr(line[i], 15)
                else if (line[i] ~ /^Version: /) v = substr(line[i], 10)
            }
            print p ":" a, v
        }')
}
unknown_packages() { local spec; for spec in "${PACKAGES[@]}"; do [ -n "${VERSION[$spec]:-}" ] || echo "$spec"; done; }
lookup_versions
if [ -n "$(unknown_packages)" ] && apt_update; then lookup_versions; fi
[ -z "$(unknown_packages)" ] \
    || die "not in the apt index: $(unknown_packages | tr '\n' ' ')(apt-get update? a bookworm mirror?)"

for spec in "${PACKAGES[@]}"; do # download what is not cached yet, through a temporary directory
    name=${spec%%:*} arch=${spec##*:} version=${VERSION[$spec]}
    DEB[$spec]=$DEBS/${name}_${version//:/%3a}_${arch}.deb
    [ ! -s "${DEB[$spec]}" ] || continue
    step "downloading $spec=$version"
    tmp=$(mktemp -d "$DEBS/.download.XXXXXX")
    (cd "$tmp" && apt-get download -q -o APT::Sandbox::User="$(id -un)" "$spec=$version") \
        || { rm -rf "$tmp"; die "apt-get download $spec=$version failed"; }
    mv "$tmp"/*.deb "${DEB[$spec]}"
    rm -rf "$tmp"
done
KERNEL_DEB=${DEB[$KERNEL_PACKAGE:i386]} BUSYBOX_DEB=${DEB[busybox-static:i386]}
ISOLINUX_DEB=${DEB[isolinux:all]} SYSLINUX_DEB=${DEB[syslinux-common:all]}

tool_version() { dpkg-query -W -f='${Version}' "$1"; }
GCC_PACKAGE=$(dpkg-query -S "$(readlink -f "$(command -v gcc)")" | cut -d: -f1) # e.g. gcc-12
versions() {
    echo "kernel=$(dpkg-deb -f "$KERNEL_DEB" Package) $(dpkg-deb -f "$KERNEL_DEB" Version)"
    echo "busybox-static:i386=$(dpkg-deb -f "$BUSYBOX_DEB" Version)"
    echo "isolinux=$(dpkg-deb -f "$ISOLINUX_DEB" Version)"
    echo "syslinux-common=$(dpkg-deb -f "$SYSLINUX_DEB" Version)"
    for p in "$GCC_PACKAGE" libc6-dev-i386 xorriso cpio gzip; do echo "host $p=$(tool_version "$p")"; done
}

# --- nothing changed since the last build? ------------------------------------------------------------

INPUTS=$( {
    versions
    echo "SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-from-kernel} CMDLINE=$CMDLINE MODULES=${NET_MODULES[*]} ${STORAGE_MODULES[*]} ${EXTRA_MODULES[*]}"
    cd "$HERE" && sha256sum build.sh init.sh bench.c
} | sha256sum | cut -d' ' -f1)

print_outputs() {
    echo "outputs in $OUT:"
    for f in "${OUTPUTS[@]}" VERSIONS; do
        printf '  %-10s %9d bytes  %s\n' "$f" "$(stat -c %s "$OUT/$f")" "$OUT/$f"
    done
}

if [ "${FORCE:-}" != 1 ] && [ "$(cat "$OUT/.inputs" 2> /dev/null)" = "$INPUTS" ] \
    && (cd "$OUT" && sha256sum --quiet --strict -c SHA256SUMS > /dev/null 2>&1); then
    touch "$OUT/.inputs" # newer than the sources again (images/guest.ts compares their times)
    echo "images/build.sh: up to date (same packages, tools and sources; outputs match SHA256SUMS)"
    print_outputs
    exit 0
fi
rm -f "$OUT/.inputs" "$OUT/VERSIONS" "$OUT/SHA256SUMS" # the outputs are incomplete until the end
STAGE=$WORK/stage
rm -rf "$STAGE" && mkdir -p "$STAGE"

# --- kernel ------------------------------------------------------------------------------------------

step "kernel: $(basename "$KERNEL_DEB")"
K=$WORK/kernel
rm -rf "$K" && mkdir -p "$K"
# the image and the module list first: the whole package unpacks to ~300 MB, we need ~50 kB of it
dpkg-deb --fsys-tarfile "$KERNEL_DEB" | tar -x -C "$K" --wildcards './boot/vmlinuz-*' './lib/modules/*/modules.order'
KERNEL_RELEASE=$(ls "$K/lib/modules")
[ "$(echo "$KERNEL_RELEASE" | wc -l)" = 1 ] || die "expected one kernel release in $KERNEL_DEB, found: $KERNEL_RELEASE"
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(stat -c %Y "$K/boot/vmlinuz-$KERNEL_RELEASE")}
cp "$K/boot/vmlinuz-$KERNEL_RELEASE" "$STAGE/vmlinuz"

# The NIC modules and what they depend on, in load order. The package has no modules.dep (depmod
# makes it on install), so the dependencies come from each module's own .modinfo "depends=" string.
MODDIR=$K/lib/modules/$KERNEL_RELEASE
module_path() { # NAME -> its path under MODDIR, from modules.order ('-' and '_' are one in module names)
    awk -v m="${1//-/_}" '{ n = $0; sub(/.*\//, "", n); sub(/\.ko$/, "", n); gsub(/-/, "_", n) }
                          n == m { print; exit }' "$MODDIR/modules.order"
}
extract_modules() { # PATH... relative to MODDIR
    dpkg-deb --fsys-tarfile "$KERNEL_DEB" | tar -x -C "$K" "${@/#/./lib/modules/$KERNEL_RELEASE/}" \
        || die "could not unpack $* from $KERNEL_DEB"
}
declare -A module_seen=()
module_order=()
add_module() { # add_module NAME: its dependencies first, then itself
    local path dep
    path=$(module_path "$1")
    [ -n "$path" ] || die "module $1 is not in $KERNEL_PACKAGE ($KERNEL_RELEASE)"
    [ -z "${module_seen[$path]:-}" ] || return 0
    module_seen[$path]=1
    [ -e "$MODDIR/$path" ] || extract_modules "$path"
    for dep in $(tr '\0' '\n' < "$MODDIR/$path" | sed -n 's/^depends=//p' | tr , ' '); do add_module "$dep"; done
    module_order+=("$path")
}
wanted=()
for m in "${NET_MODULES[@]}" "${STORAGE_MODULES[@]}" "${EXTRA_MODULES[@]}"; do
    path=$(module_path "$m")
    [ -n "$path" ] || die "module $m is not in $KERNEL_PACKAGE ($KERNEL_RELEASE)"
    wanted+=("$path")
done
extract_modules "${wanted[@]}" # one pass for the ones we know we need
for m in "${NET_MODULES[@]}"; do add_module "$m"; done
net_module_count=${#module_order[@]}
for m in "${STORAGE_MODULES[@]}"; do add_module "$m"; done
storage_module_end=${#module_order[@]}
for m in "${EXTRA_MODULES[@]}"; do add_module "$m"; done

# --- benchmark ---------------------------------------------------------------------------------------

step "bench: gcc -m32 -static -O2 -s bench.c -lm ($GCC_PACKAGE)"
(cd "$HERE" && gcc -m32 -static -O2 -s -o "$STAGE/bench" bench.c -lm) || die "could not compile images/bench.c"

# --- initramfs ---------------------------------------------------------------------------------------

step "initramfs: $(basename "$BUSYBOX_DEB"), modules: ${module_order[*]##*/}"
R=$WORK/initramfs
rm -rf "$R" "$WORK/busybox" && mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,root,etc,mnt,lib/modules}
chmod 1777 "$R/tmp" && chmod 700 "$R/root"
dpkg-deb -x "$BUSYBOX_DEB" "$WORK/busybox"
install -m 755 "$WORK/busybox/bin/busybox" "$R/bin/busybox"
applets=$("$R/bin/busybox" --list-full) || die "cannot run the i386 busybox on this host (needs an x86 host)"
for applet in $applets; do # e.g. bin/sh, usr/bin/cut, sbin/insmod
    [ "$applet" = bin/busybox ] && continue
    ln -s "$(realpath -m -s --relative-to="$(dirname "/$applet")" /bin/busybox)" "$R/$applet"
done
install -m 755 "$STAGE/bench" "$R/bin/bench"
install -m 755 "$HERE/init.sh" "$R/init"
: > "$R/lib/modules/net.order"
: > "$R/lib/modules/storage.order"
: > "$R/lib/modules/extra.order"
for i in "${!module_order[@]}"; do # the NIC's first, then storage, then the extra ones (floppy, mouse)
    path=${module_order[$i]}
    install -m 644 "$MODDIR/$path" "$R/lib/modules/"
    if [ "$i" -lt "$net_module_count" ]; then order=net.order
    elif [ "$i" -lt "$storage_module_end" ]; then order=storage.order
    else order=extra.order; fi
    basename "$path" .ko >> "$R/lib/modules/$order"
done
echo "root:x:0:0:root:/root:/bin/sh" > "$R/etc/passwd"
echo "root:x:0:" > "$R/etc/group"
echo "$KERNEL_RELEASE" > "$R/etc/co86-kernel"

# newc_node NAME MODE MAJOR MINOR: one cpio "newc" entry for a device node, written without mknod so
# the build needs no root once the tools are in place (the kernel opens /dev/console before /init runs)
newc_node() {
    local name=$1 mode=$2 major=$3 minor=$4 header
    header=$(printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
        0 "$mode" 0 0 1 "$SOURCE_DATE_EPOCH" 0 0 0 "$major" "$minor" $((${#name} + 1)) 0)
    printf '%s%s\0' "$header" "$name"
    head -c $(((4 - (110 + ${#name} + 1) % 4) % 4)) /dev/zero # pad header + name to 4 bytes
}

find "$R" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
{
    (cd "$R" && find . -mindepth 1 | sort | cpio -o -H newc -R 0:0 --reproducible --quiet)
    newc_node dev/console $((0020000 | 0600)) 5 1
    newc_node dev/null $((0020000 | 0666)) 1 3
    newc_node 'TRAILER!!!' 0 0 0
} | gzip -9 -n > "$STAGE/initrd.gz"

# --- ISO: isolinux, El Torito no-emulation boot, isohybrid MBR ------------------------------------

step "iso: $(basename "$ISOLINUX_DEB"), $(basename "$SYSLINUX_DEB")"
S=$WORK/syslinux I=$WORK/iso
rm -rf "$S" "$I" && mkdir -p "$S" "$I/isolinux" "$I/boot"
dpkg-deb -x "$ISOLINUX_DEB" "$S"
dpkg-deb -x "$SYSLINUX_DEB" "$S"
install -m 644 "$S/usr/lib/ISOLINUX/isolinux.bin" "$S/usr/lib/syslinux/modules/bios/ldlinux.c32" "$I/isolinux/"
install -m 644 "$STAGE/vmlinuz" "$I/boot/vmlinuz"
install -m 644 "$STAGE/initrd.gz" "$I/boot/initrd.gz"
cat > "$I/isolinux/isolinux.cfg" << CFG
SERIAL 0 115200
DEFAULT linux
PROMPT 0
TIMEOUT 0
LABEL linux
  KERNEL /boot/vmlinuz
  INITRD /boot/initrd.gz
  APPEND $CMDLINE
LABEL bench
  KERNEL /boot/vmlinuz
  INITRD /boot/initrd.gz
  APPEND $CMDLINE co86.bench
CFG
find "$I" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
xorriso -as mkisofs -quiet -r -V CO86 -o "$STAGE/co86.iso" \
    -isohybrid-mbr "$S/usr/lib/ISOLINUX/isohdpfx.bin" \
    -b isolinux/isolinux.bin -c isolinux/boot.cat -no-emul-boot -boot-load-size 4 -boot-info-table \
    "$I" > "$WORK/xorriso.log" 2>&1 || { cat "$WORK/xorriso.log" >&2; die "xorriso failed"; }

# --- publish: outputs first, then the records that say they are complete ---------------------------

for f in "${OUTPUTS[@]}"; do mv "$STAGE/$f" "$OUT/$f"; done
{
    versions
    echo "kernel_release=$KERNEL_RELEASE"
    echo "modules=${module_order[*]##*/}"
    echo "cmdline=$CMDLINE"
    echo "SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH"
} > "$OUT/VERSIONS"
(cd "$OUT" && sha256sum "${OUTPUTS[@]}" VERSIONS > SHA256SUMS)
echo "$INPUTS" > "$OUT/.inputs"
rm -rf "$STAGE"
print_outputs
