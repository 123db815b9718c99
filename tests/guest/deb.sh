#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest half of tests/lab-install for `make deb`: install the four packages
# with dpkg (DKMS builds the module for the guest's kernel), use them, remove
# them, nothing left.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/tap.sh"
. "$root/tests/guest/lib.sh"
debs=("$root"/build/deb/*.deb)
log=$LAB_OUT/deb.log
pkgs="iopmem-tools libiopmem-dev iopmem-dkms libiopmem0"

# The man-db trigger rebuilds the whole man index: minutes under TCG, and not
# what is tested here (the guest's root is a throw-away overlay).
rm -f /var/lib/man-db/auto-update
t "make deb built four packages" test ${#debs[@]} = 4
t "dpkg -i installs them (DKMS builds the module)" \
	sh -c 'dpkg -i "$@" >"$0" 2>&1 || { tail -20 "$0"; exit 1; }' "$log" "${debs[@]}"
t "iopmem from iopmem-tools runs, linked to libiopmem0" \
	sh -c '/usr/bin/iopmem --version | grep -q "^iopmem 0.1.0" && ldd /usr/bin/iopmem | grep -q "libiopmem.so.0 => /.*lib/$(gcc -print-multiarch)/libiopmem.so.0"'
t "pkg-config finds libiopmem-dev's files under /usr" \
	sh -c 'pkg-config --modversion libiopmem | grep -qx 0.1.0 && pkg-config --variable=libdir libiopmem | grep -q "^/usr/lib/"'
t "dkms installed iopmem for the running kernel" sh -c 'dkms status -m iopmem | grep -q "$(uname -r).*installed"'
rmmod iopmem 2>/dev/null
t "the packaged module loads and binds" modprobe_binds
# The end of the road from .deb: a copy NVMe -> BAR that the tools report as P2P.
dd if=/dev/urandom of=/dev/nvme0n1 bs=1M count=4 oflag=direct status=none
t "the packaged iopmem copies NVMe -> BAR by P2P, verified" \
	sh -c '/usr/bin/iopmem copy /dev/nvme0n1 /dev/iopmem0 --size 4M --no-fallback --verify >"$0" 2>&1 &&
		grep -q "path kernel:" "$0" && grep -q "verify: source and destination match" "$0" ||
		{ cat "$0"; exit 1; }' "$LAB_OUT/deb-copy.txt"
t "man -w finds the packaged pages" sh -c 'man -w iopmem >/dev/null && man -w 4 iopmem >/dev/null && man -w libiopmem >/dev/null && man -w iopmem_copy >/dev/null'
rmmod iopmem
# shellcheck disable=SC2086
t "dpkg -r removes them" sh -c 'dpkg -r $0 >>"$1" 2>&1 || { tail -20 "$1"; exit 1; }' "$pkgs" "$log"
# shellcheck disable=SC2086
t "none is installed any more" sh -c '! dpkg -l $0 2>/dev/null | grep -q "^ii"' "$pkgs"
t "their files are gone" sh -c '! ls /usr/bin/iopmem /usr/lib/*/libiopmem* /usr/src/iopmem-0.1.0 /lib/udev/rules.d/60-iopmem.rules 2>/dev/null | grep -q .'
t "dkms no longer lists iopmem" sh -c '! dkms status -m iopmem 2>/dev/null | grep -q iopmem'
