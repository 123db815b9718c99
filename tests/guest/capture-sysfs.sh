#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# capture-sysfs.sh OUT.tar.gz: snapshot what libiopmem reads from sysfs and
# /proc (PCI functions, their config space, tree, drivers, IOMMU groups,
# block/nvme/iopmem class links, cpuinfo) into a tarball that the unit tests
# unpack and point `iopmem --root` at.
set -eu
out=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
r=$tmp/root

copy_dir_files() { # SRC DST FILE...
	local src=$1 dst=$2 f
	shift 2
	mkdir -p "$dst"
	for f in "$@"; do
		[ -r "$src/$f" ] && cat "$src/$f" >"$dst/$f" 2>/dev/null || true
	done
}
# relink LINK TARGET_ABS: a relative symlink inside the capture
relink() {
	mkdir -p "$(dirname "$r$1")"
	ln -sfn "$(realpath -m --relative-to="$(dirname "$1")" "$2")" "$r$1"
}

mkdir -p "$r/sys/bus/pci/devices" "$r/proc"
for d in /sys/bus/pci/devices/*; do
	bdf=${d##*/}
	real=$(readlink -f "$d")
	copy_dir_files "$real" "$r$real" vendor device class config resource
	relink "/sys/bus/pci/devices/$bdf" "$real"
	if [ -e "$real/driver" ]; then
		drv=$(readlink -f "$real/driver")
		mkdir -p "$r$drv"
		relink "$real/driver" "$drv"
	fi
	if [ -e "$real/iommu_group" ]; then
		grp=$(readlink -f "$real/iommu_group")
		copy_dir_files "$grp" "$r$grp" type
		relink "$real/iommu_group" "$grp"
	fi
done
for c in block nvme iopmem; do
	for n in /sys/class/$c/*; do
		[ -e "$n" ] || continue
		real=$(readlink -f "$n")
		case $real in /sys/devices/pci*) ;; *) continue ;; esac
		copy_dir_files "$real" "$r$real" pci_dev bar size bar_size cpu_addr bus_addr backend memtype flags
		relink "/sys/class/$c/${n##*/}" "$real"
	done
done
sed -n '1,/^$/p' /proc/cpuinfo >"$r/proc/cpuinfo"
tar -C "$r" -czf "$out" .
