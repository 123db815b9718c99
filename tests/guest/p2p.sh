#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest half of tests/lab-p2p: run inside lab/run. Moves bytes between the
# NVMe namespaces and the iopmem BAR (the host verifies them afterwards),
# then checks bad input, BAR refusals and unbind with live mappings.
# P2P_EXPECT=p2p: transfers must succeed; =refuse: the kernel must refuse
# the P2P path with EREMOTEIO (and nothing may reach the BAR through RAM).
set -u
here=$(cd "$(dirname "$0")" && pwd)
dio=$here/iopmem-dio abuse=$here/iopmem-abuse uring=$here/iopmem-uring cli=$here/../../tools/iopmem
dev=/dev/iopmem0 sys=/sys/class/iopmem/iopmem0
expect=${P2P_EXPECT:-p2p}

. "$here/../tap.sh"
. "$here/lib.sh"
# refused CMD...: the command must fail as a P2P refusal: EREMOTEIO (exit
# 121), or EINVAL (22) where NVMe maps DMA through the block layer (6.17
# on: blk_rq_dma_map refuses an unsupported P2P mapping with BLK_STS_INVAL).
refused() {
	"$@"
	case $? in
	121) ;;
	22) [ "$(printf '%s\n' 6.17 "$(uname -r)" | sort -V | head -n1)" = 6.17 ] ;;
	*) false ;;
	esac
}
info_matches_sysfs() {
	local k v want
	while IFS== read -r k v; do
		case $k in
		backend) want=$(case $(cat $sys/backend) in zone-device) echo 1 ;; p2pdma) echo 2 ;; esac) ;;
		memtype) want=$(case $(cat $sys/memtype) in uc) echo 1 ;; wc) echo 2 ;; esac) ;;
		*) want=$(cat "$sys/$k") ;;
		esac
		[ "$v" = "$want" ] || { echo "# INFO $k=$v but sysfs says $want"; return 1; }
	done < <("$abuse" info $dev)
}
pinned_zero() { [ "$(cat $sys/pages_pinned)" = 0 ]; }
backend_is() { [ "$(cat $sys/backend)" = "$1" ]; }

echo "# $(uname -r), topology $LAB_TOPO, $(cat $sys/pci_dev) BAR $(cat $sys/bar), $(cat $sys/backend), $(cat $sys/memtype)"
t "INFO ioctl agrees with sysfs" info_matches_sysfs
if [ "$LAB_P2PDMA" = y ]; then
	t "the kernel's p2pdma provider API is used" backend_is p2pdma
else
	t "iopmem's own ZONE_DEVICE registration is used" backend_is zone-device
fi
t "the BAR is mapped write-combining (PAT)" grep -q "$(printf '%016x' "$(cat $sys/cpu_addr)")-.* write-combining" /sys/kernel/debug/x86/pat_memtype_list

# `iopmem check` must predict the kernel's p2pdma rules (P2P_RULES, from the
# topology file). On the p2pdma kernel those rules are also what decides
# whether the transfers below succeed.
check_predicts() { # CLIENT
	"$cli" check $dev "$1"
	case $? in
	0) [ "${P2P_RULES:-p2p}" = p2p ] ;;
	1) [ "${P2P_RULES:-p2p}" = refuse ] ;;
	*) false ;;
	esac
}
# The module's own verdict (IOPMEM_IOC_P2P, debugfs p2p_clients) must agree
# with libiopmem's, hand out the bus address only for a switch path, and
# refuse (EREMOTEIO, no address) when there is no path.
module_agrees() { # CLIENT_NODE
	local bdf lib mod
	bdf=$(basename "$(readlink -f "/sys/block/${1#/dev/}/device/device")")
	lib=$("$cli" --json check $dev "$1" | sed -n 's/.*"path":"\([A-Z-]*\)".*/\1/p')
	mod=$("$abuse" p2p $dev "$bdf")
	echo "# libiopmem: $lib; module: $mod; debugfs: $(grep "^$bdf " "$dbg/p2p_clients")"
	case $lib in
	SWITCH) [[ $mod == "path=SWITCH errno=0 "*" dma_addr=$(cat $sys/bus_addr)" ]] ;;
	NONE) [[ $mod == "path=NONE errno=121 "*" dma_addr=0" ]] ;;
	*) [[ $mod == "path=$lib errno=0 "*" dma_addr=0" ]] ;;
	esac && grep -q "^$bdf ${lib,,} " "$dbg/p2p_clients"
}
dbg=/sys/kernel/debug/iopmem/$(basename $sys)
t "sysfs is one value a file: p2p_clients is in debugfs, not in sysfs" \
	eval '[ ! -e $sys/p2p_clients ] && [ -r "$dbg/p2p_clients" ]'
t "the costly attributes are root's: pages_pinned and debugfs p2p_clients are 0400" \
	eval '[ "$(stat -c %a $sys/pages_pinned)" = 400 ] && [ "$(stat -c %a "$dbg/p2p_clients")" = 400 ]'
t "p2p_clients lists every non-bridge PCI function" \
	eval '[ "$(wc -l <"$dbg/p2p_clients")" = "$(for d in /sys/bus/pci/devices/*; do c=$(cat $d/class); [ $((c >> 16)) = 6 ] || echo; done | wc -l)" ]'
t "the module's P2P verdict for nvme0 agrees with libiopmem's" module_agrees /dev/nvme0n1
t "the module's P2P verdict for nvme1 agrees with libiopmem's" module_agrees /dev/nvme1n1
doctor_says() { # STATUS CHECK TEXT: a doctor line
	grep -q "^$1 *$2 .*$3" "$LAB_OUT/doctor.txt"
}
"$cli" doctor >"$LAB_OUT/doctor.txt"
doctor_rc=$?
sed 's/^/# doctor: /' "$LAB_OUT/doctor.txt"
t "iopmem doctor finds nothing failing" test $doctor_rc = 0
t "doctor: the kernel has ZONE_DEVICE" doctor_says PASS zone-device "CONFIG_ZONE_DEVICE set"
if [ "$LAB_P2PDMA" = y ]; then
	t "doctor: the kernel has PCI_P2PDMA" doctor_says PASS p2pdma "CONFIG_PCI_P2PDMA set"
else
	t "doctor: the kernel lacks PCI_P2PDMA, and says what that means" doctor_says WARN p2pdma "not set"
fi
t "doctor: iopmem.ko loaded with the tools' ABI" doctor_says PASS module "ABI 1 (tools: ABI 1)"
nvme0_bdf_=$(basename "$(readlink -f /sys/block/nvme0n1/device/device)")
if [ "${P2P_RULES:-p2p}" = p2p ]; then
	t "doctor: the BAR's verdict to nvme0 is a P2P path" doctor_says PASS peer "$nvme0_bdf_ (nvme): [A-Z-]*$"
else
	t "doctor: the BAR's verdict to nvme0 is NONE" doctor_says WARN peer "$nvme0_bdf_ (nvme): NONE"
fi
if [ "$LAB_TOPO" = iommu ]; then
	t "doctor: sees the translating IOMMU" doctor_says PASS iommu "group(s) translate DMA"
fi
t "iopmem --version names the loaded module and its ABI" \
	sh -c '"$0" --version | grep -q "^iopmem.ko 0.1.0, ABI 1$"' "$cli"
t "iopmem topo runs" "$cli" topo
t "iopmem check BAR <- nvme0 gives the kernel's verdict (${P2P_RULES:-p2p})" check_predicts /dev/nvme0n1
t "iopmem check BAR <- nvme1 gives the kernel's verdict (${P2P_RULES:-p2p})" check_predicts /dev/nvme1n1

if [ "$expect" = p2p ]; then
	# Layout shared with tests/lab-p2p, which checks the bytes on the host.
	# BAR [0, 1M) is scratch for the abuse checks below, [44M, 48M) for the
	# kernel I/O ones (the unbind loop, the short read at the disk's end).
	t "NVMe -> BAR: 16 MiB O_DIRECT read into the mapping" "$dio" read $dev /dev/nvme0n1 8M 0 16M
	t "BAR -> NVMe: 8 MiB O_DIRECT write from the mapping" "$dio" write $dev /dev/nvme0n1 32M 64M 8M
	t "NVMe -> BAR: 4 MiB io_uring read" "$dio" read --uring $dev /dev/nvme0n1 24M 16M 4M
	t "BAR -> second NVMe: 4 MiB io_uring write" "$dio" write --uring $dev /dev/nvme1n1 24M 128M 4M
else
	t "NVMe -> BAR by O_DIRECT is refused (EREMOTEIO; EINVAL on 7.x)" refused "$dio" read $dev /dev/nvme0n1 8M 0 16M
	t "BAR -> NVMe by O_DIRECT is refused (EREMOTEIO; EINVAL on 7.x)" refused "$dio" write $dev /dev/nvme0n1 32M 64M 8M
	t "NVMe -> BAR by io_uring is refused (EREMOTEIO; EINVAL on 7.x)" refused "$dio" read --uring $dev /dev/nvme0n1 24M 16M 4M
fi
t "no page stays pinned after the transfers" pinned_zero

# A buffered read() into a fresh mapping is the CPU copying into the BAR
# (through the page cache), not DMA: the module counts it as a CPU access.
faults_moved() { # USER_MIN KERNEL_EXACT CMD...: counter deltas across CMD
	local u=$(cat $sys/faults_user) k=$(cat $sys/faults_kernel) du dk
	"${@:3}" >/dev/null || return 1
	du=$(($(cat $sys/faults_user) - u)) dk=$(($(cat $sys/faults_kernel) - k))
	echo "# faults_user +$du, faults_kernel +$dk"
	[ "$du" -ge "$1" ] && [ "$dk" = "$2" ]
}
t "a buffered read() into the mapping counts as CPU access (faults_user +256, faults_kernel +0)" \
	faults_moved 256 0 "$dio" read --buffered $dev /dev/nvme0n1 1M 0 1M

# Kernel-submitted direct I/O (IOPMEM_IOC_FILE_IO): the module's own pages,
# no mapping. It follows the P2P verdict (P2P_RULES) on every kernel, also
# where nothing would stop a DMA: a path that cannot work is refused before
# any byte moves. Odd sizes at 512-byte offsets; the host checks the bytes.
fileio() { # ARGS...: iopmem-abuse fileio, its errno as status, its line in the log
	"$abuse" fileio $dev "$@"
}
fileio_moves() { # WANT ARGS...: done must be WANT
	local want=$1 out
	shift
	out=$(fileio "$@") || { echo "# $out"; return 1; }
	[ "$out" = "done=$want errno=0" ] || { echo "# $out"; return 1; }
}
fails_with() { # ERRNO ARGS...
	local e=$1
	shift
	fileio "$@" >/dev/null
	[ $? = "$e" ]
}
nvme_bytes=$(blockdev --getsize64 /dev/nvme0n1)
if [ "${P2P_RULES:-p2p}" = p2p ]; then
	t "kernel I/O: NVMe -> BAR, 3 MiB + 1 KiB, file at 1536, BAR at 40 MiB + 512" \
		fileio_moves $((3 * 1048576 + 1024)) /dev/nvme0n1 read 1536 $((40 * 1048576 + 512)) $((3 * 1048576 + 1024))
	t "kernel I/O: BAR at 32 MiB -> NVMe at 96 MiB + 512, 2 MiB + 512" \
		fileio_moves $((2 * 1048576 + 512)) /dev/nvme0n1 write $((96 * 1048576 + 512)) $((32 * 1048576)) $((2 * 1048576 + 512))
	t "kernel I/O: a read at the end of the disk is short (done=512)" \
		fileio_moves 512 /dev/nvme0n1 read $((nvme_bytes - 512)) $((44 * 1048576)) 4096
	t "kernel I/O pinned nothing" pinned_zero
else
	t "kernel I/O: NVMe -> BAR refused with EREMOTEIO (no P2P path)" \
		fails_with 121 /dev/nvme0n1 read 1536 $((40 * 1048576 + 512)) $((3 * 1048576 + 1024))
	t "kernel I/O: BAR -> NVMe refused with EREMOTEIO" \
		fails_with 121 /dev/nvme0n1 write $((96 * 1048576 + 512)) $((32 * 1048576)) $((2 * 1048576 + 512))
fi
# The same requests as io_uring passthrough commands, several in flight.
# BAR [2M, 4M) and NVMe [112M, 114M) are theirs; the host checks both.
uring_moves() { # WANT ARGS...
	local want=$1 out
	shift
	# A lost completion would hang the guest: a minute is plenty.
	out=$(timeout 60 "$uring" io $dev "$@") || { echo "# $out (exit $?)"; return 1; }
	[ "$out" = "done=$want errno=0" ] || { echo "# $out"; return 1; }
}
if [ "${P2P_RULES:-p2p}" = p2p ]; then
	t "kernel I/O by io_uring: NVMe at 4 MiB + 1 KiB -> BAR at 2 MiB + 512, 1 MiB + 1536 in 4 requests" \
		uring_moves $((1048576 + 1536)) /dev/nvme0n1 read $((4 * 1048576 + 1024)) $((2 * 1048576 + 512)) $((1048576 + 1536)) 4
	t "kernel I/O by io_uring: BAR at 34 MiB + 512 -> NVMe at 112 MiB + 1536, 1 MiB + 2560 in 8 requests" \
		uring_moves $((1048576 + 2560)) /dev/nvme0n1 write $((112 * 1048576 + 1536)) $((34 * 1048576 + 512)) $((1048576 + 2560)) 8
	t "kernel I/O by io_uring pinned nothing" pinned_zero
else
	t "kernel I/O by io_uring: NVMe -> BAR refused with EREMOTEIO" \
		sh -c '"$0" io "$1" /dev/nvme0n1 read 0 $((2 * 1048576)) 1048576 4 >/dev/null; [ $? = 121 ]' "$uring" $dev
	t "kernel I/O by io_uring: BAR -> NVMe refused with EREMOTEIO" \
		sh -c '"$0" io "$1" /dev/nvme0n1 write $((112 * 1048576)) $((34 * 1048576)) 1048576 4 >/dev/null; [ $? = 121 ]' "$uring" $dev
fi
"$uring" bad $dev /dev/nvme0n1

# The same on a regular file: ext4 on the second NVMe's first 64 MiB (the rest
# of it is the host's to check). The io_uring command is issued from io_uring's
# worker there (under IOCB_NOWAIT a file's direct I/O may stop half-way), the
# ioctl as for a disk. The file holds NVMe0 [5M, 7M); the host checks that BAR
# [6M, 8M) got them; the write back is checked here, through the file.
# Then a file whose data goes through the journal (chattr +j; nodelalloc):
# ext4 takes no direct I/O for it and copies through the page cache, so each
# request is finished when the file returns it. 6.1's io_uring dropped such
# a result from its worker: the CQE never came (the guest hung).
fs_file_io() {
	local mnt=/tmp/iopmem-fs rc=0
	mkdir -p "$mnt"
	lab_modprobe ext4 2>/dev/null
	mkfs.ext4 -q -F -b 4096 -E nodiscard /dev/nvme1n1 16384 && mount -o nodelalloc /dev/nvme1n1 "$mnt" || return 1
	dd if=/dev/nvme0n1 of="$mnt/f" bs=1M skip=5 count=2 oflag=direct status=none &&
		uring_moves 2097152 "$mnt/f" read 0 $((6 * 1048576)) 2097152 4 &&
		fileio_moves 2097152 "$mnt/f" write 2097152 $((6 * 1048576)) 2097152 &&
		same_halves "$mnt/f" || rc=1
	touch "$mnt/j" && chattr +j "$mnt/j" &&
		dd if=/dev/nvme0n1 of="$mnt/j" bs=1M skip=5 count=2 status=none &&
		uring_moves 2097152 "$mnt/j" read 0 $((6 * 1048576)) 2097152 4 &&
		uring_moves 2097152 "$mnt/j" write 2097152 $((6 * 1048576)) 2097152 4 &&
		same_halves "$mnt/j" || rc=$((rc + 2))
	umount "$mnt"
	[ $rc = 0 ] || echo "# failed: $([ $((rc & 1)) = 0 ] || echo 'the plain file ')$([ $((rc & 2)) = 0 ] || echo 'the journaled file')"
	return $rc
}
same_halves() { # FILE: its first 2 MiB equal its second 2 MiB
	cmp <(dd if="$1" bs=1M count=2 iflag=direct status=none) <(dd if="$1" bs=1M skip=2 count=2 iflag=direct status=none)
}
if [ "${P2P_RULES:-p2p}" = p2p ]; then
	t "kernel I/O on ext4 files: file -> BAR by io_uring (4 in flight), BAR -> file by ioctl; a journaled file (page cache) both ways by io_uring; 2 MiB each" \
		fs_file_io
fi

# A long-term pin (an io_uring registered buffer) could hold the BAR's pages,
# and with them unbind, for ever. Refused on every lab kernel, by different
# rules: 6.1's io_uring takes no file-backed memory; 6.12's takes any, but
# the devmap mappings ask for write notification and GUP (6.5 on) refuses
# long-term writable pins of mappings that need dirty tracking; 7.2's GUP
# refuses long-term pins of P2PDMA pages.
reg=$("$uring" register $dev)
echo "# io_uring fixed buffer over the mapping: $reg"
t "an io_uring registered buffer over the mapping is refused (a long-term pin)" \
	test "$reg" != "register=0" -a -n "$reg"
t "no page stays pinned after the registered buffer is gone" pinned_zero
t "kernel I/O: a BAR offset off the 512-byte block is EINVAL" fails_with 22 /dev/nvme0n1 read 0 100 4096
t "kernel I/O: a range past the BAR's end is EINVAL" fails_with 22 /dev/nvme0n1 read 0 "$(cat $sys/size)" 4096
t "kernel I/O: more than 16 MiB in one request is EINVAL" fails_with 22 /dev/nvme0n1 read 0 0 $((32 * 1048576))
t "kernel I/O: reading from a file opened write-only is EBADF" fails_with 9 /dev/nvme0n1 read 0 0 4096 wo
t "kernel I/O: writing to a file opened read-only is EBADF" fails_with 9 /dev/nvme0n1 write 0 0 4096 ro
head -c 8192 /dev/zero >"$LAB_OUT/plain.bin"
t "kernel I/O: a file with no block device under it (9p) is EOPNOTSUPP" \
	fails_with 95 "$LAB_OUT/plain.bin" read 0 0 4096

t "nvme0 is the first lab controller" grep -q '^lab-nvme0 *$' /sys/class/nvme/nvme0/serial
t "nvme1 is the second, the one with the CMB" grep -q '^lab-nvme1 *$' /sys/class/nvme/nvme1/serial
nvme0_bdf=$(basename "$(readlink -f /sys/block/nvme0n1/device/device)")
nvme1_bdf=$(basename "$(readlink -f /sys/block/nvme1n1/device/device)")
if [ "$LAB_TOPO" = iommu ]; then
	t "the IOMMU translates the NVMe controller's DMA" grep -q '^DMA' "/sys/bus/pci/devices/$nvme0_bdf/iommu_group/type"
fi
if [ "$LAB_P2PDMA" = y ]; then
	t "iopmem's BAR is a kernel p2pdma provider, part of it published" \
		grep -qx 1 "/sys/bus/pci/devices/$(cat $sys/pci_dev)/p2pmem/published"
	t "the second NVMe's CMB is a kernel p2pdma provider next to it" test -e "/sys/bus/pci/devices/$nvme1_bdf/p2pmem/size"
fi

"$abuse" bad $dev

# BAR refusals, reported in the kernel log with the reason.
bdf=$(cat $sys/pci_dev)
probe_with_bar() { # BDF BAR: try to bind iopmem to BAR of BDF; must fail
	echo "$2" >/sys/module/iopmem/parameters/bar
	echo iopmem >"/sys/bus/pci/devices/$1/driver_override"
	echo "$1" >/sys/bus/pci/drivers_probe 2>/dev/null
	echo >"/sys/bus/pci/devices/$1/driver_override"
	echo -1 >/sys/module/iopmem/parameters/bar
	[ ! -e "/sys/bus/pci/drivers/iopmem/$1" ]
}
io_bar_device() { # prints "BDF BAR" of an unbound function with an I/O BAR
	local d i flags
	for d in /sys/bus/pci/devices/*; do
		[ -e "$d/driver" ] && continue
		i=0
		while read -r _ _ flags; do
			if [ $i -lt 6 ] && (((flags & 0x100) != 0)); then
				echo "${d##*/} $i"
				return
			fi
			i=$((i + 1))
		done <"$d/resource"
	done
}
logged() { dmesg | grep -q "$1"; }

"$abuse" unbind $dev "$bdf"
"$here/iopmem-pin" unbind $dev "$bdf" "$(cat $sys/backend)"
if [ "${P2P_RULES:-p2p}" = p2p ]; then
	"$abuse" fileio-unbind $dev /dev/nvme0n1 "$bdf"
	"$uring" unbind $dev /dev/nvme0n1 "$bdf"
fi
# An ioctl stuck copying its argument (userfaultfd) must not hold up unbind.
"$here/iopmem-uffd" $dev "$bdf"

# Unbind while an O_DIRECT read is DMAing into the BAR: teardown must wait for
# the pinned pages; the read either completes or fails cleanly (EFAULT once its
# mapping is revoked). Same NVMe -> BAR layout as above, so the host checks hold.
unbind_during_dma() {
	local pid i rc
	"$dio" read $dev /dev/nvme0n1 8M 0 20M >/dev/null 2>&1 &
	pid=$!
	for ((i = 0; i < 100; i++)); do
		[ "$(cat $sys/pages_pinned 2>/dev/null || echo 0)" != 0 ] && break
		read -r -t 0.01 <>/dev/ttyS0 2>/dev/null
	done
	echo "$bdf" >/sys/bus/pci/drivers/iopmem/unbind
	wait $pid
	rc=$?
	echo "# read ended with $rc; $(dmesg | grep -c 'waiting for .* pinned pages') waits logged"
	echo "$bdf" >/sys/bus/pci/drivers/iopmem/bind
	[ $rc = 0 ] || [ $rc = 14 ]
}
if [ "$expect" = p2p ]; then
	t "unbind during O_DIRECT DMA completes; the I/O ends cleanly" unbind_during_dma
fi
echo "$bdf" >/sys/bus/pci/drivers/iopmem/unbind
t "a 256-byte BAR is refused" probe_with_bar "$bdf" 0
t "... with the reason in the kernel log" logged "iopmem: BAR 0 .* is smaller than 2 MiB"
t "a BAR index past 5 is refused" probe_with_bar "$bdf" 6
read -r iodev iobar < <(io_bar_device)
if [ -n "${iodev:-}" ]; then
	t "an I/O port BAR ($iodev BAR $iobar) is refused" probe_with_bar "$iodev" "$iobar"
	t "... with the reason in the kernel log" logged "iopmem: BAR $iobar .* is an I/O port BAR"
else
	echo "not ok - no unbound function with an I/O BAR to test the refusal on"
fi
# A BAR that is not prefetchable may be device registers: iopmem binds it only
# with allow_registers=1, and says what that gives away. (The rootports lab
# has a QXL display whose BAR 0 is 64 MiB of such memory.)
qxl_dev() {
	local d
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor"):$(cat "$d/device")" = 0x1b36:0x0100 ] && { echo "${d##*/}"; return; }
	done
}
allow_registers_binds() { # BDF: bound with BAR 0 under allow_registers=1, then unbound again
	local ok=1
	echo 1 >/sys/module/iopmem/parameters/allow_registers
	echo 0 >/sys/module/iopmem/parameters/bar
	echo iopmem >"/sys/bus/pci/devices/$1/driver_override"
	echo "$1" >/sys/bus/pci/drivers_probe 2>/dev/null
	[ -e "/sys/bus/pci/drivers/iopmem/$1" ] || { echo "# $1 did not bind"; ok=0; }
	logged "iopmem: binding BAR 0, not prefetchable, because allow_registers=1" || ok=0
	[ $ok = 1 ] && { [ "$(cat /sys/class/iopmem/iopmem0/memtype)" = uc ] || { echo "# not mapped uncached"; ok=0; }; }
	[ -e "/sys/bus/pci/drivers/iopmem/$1" ] && echo "$1" >/sys/bus/pci/drivers/iopmem/unbind
	echo >"/sys/bus/pci/devices/$1/driver_override"
	echo -1 >/sys/module/iopmem/parameters/bar
	echo 0 >/sys/module/iopmem/parameters/allow_registers
	[ $ok = 1 ]
}
qxl=$(qxl_dev)
if [ -n "$qxl" ]; then
	t "a BAR that is not prefetchable ($qxl BAR 0) is refused by default" probe_with_bar "$qxl" 0
	t "... with the reason in the kernel log" logged "iopmem: BAR 0 .* is not prefetchable: it may hold device registers"
	t "allow_registers=1 binds it (uncached) and the log says what that gives away" allow_registers_binds "$qxl"
fi
echo "$bdf" >/sys/bus/pci/drivers/iopmem/bind
t "the BAR binds again with its default BAR" test -e $dev
t "the module unloads cleanly" rmmod iopmem
