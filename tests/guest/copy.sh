#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest half of tests/lab-copy: `iopmem copy` between the NVMe namespaces and
# the iopmem BAR. The host verifies every byte afterwards (layout in
# tests/lab-copy); here each copy must exit 0 and report the path expected:
# COPY_EXPECT=p2p where the topology has a P2P path, =bounce where it has none
# (then every byte must go through host RAM, with the topology as reason).
# The module's fault counters must agree: a P2P copy never has the CPU touch
# the BAR from user space, a bounce does.
set -u
here=$(cd "$(dirname "$0")" && pwd)
cli=$here/../../tools/iopmem
sys=/sys/class/iopmem/iopmem0
expect=${COPY_EXPECT:-p2p}
out=$LAB_OUT/copy.json
MiB=$((1 << 20))

. "$here/../tap.sh"

# copy_path WANT ARGS...: `iopmem copy ARGS --json` exits 0 with path WANT.
copy_path() {
	local want=$1 path
	shift
	"$cli" copy "$@" --json >"$out" || { echo "# iopmem copy $* failed"; return 1; }
	path=$(sed -n 's/.*"path":"\([^"]*\)".*/\1/p' "$out")
	echo "# copy $*: $(cat "$out")"
	[ "$path" = "$want" ]
}
# O_DIRECT alignment of the NVMe namespaces (what statx STATX_DIOALIGN reports
# for them: the logical block size), which the copy engine aligns to.
align=$(cat /sys/block/nvme0n1/queue/logical_block_size)
# The path a copy of SIZE bytes takes: unaligned bytes always go through host
# RAM; the aligned part is moved by iopmem.ko itself between a file and
# /dev/iopmemN (path kernel), through the mapping otherwise (MODE p2p: --via,
# p2pmem, --no-kernel).
want_path() { # SIZE [MODE]
	if [ "$expect" = bounce ] || (($1 < align)); then
		echo bounce
	elif (($1 % align)); then
		echo "${2:-kernel}+bounce"
	else
		echo "${2:-kernel}"
	fi
}
counter() { cat "$sys/$1"; }
reason_has() { grep -q "\"fallbacks\":\[[^]]*\"$1\"" "$out"; }

echo "# $(uname -r), topology $LAB_TOPO, $(cat $sys/backend), expecting $expect"

# Storage -> BAR, same offset on both ends (see tests/lab-copy for the layout).
for c in 1:17 4095:18 1048579:20 67108864:24; do
	size=${c%%:*} off=$((${c#*:} * MiB))
	t "copy $size bytes NVMe -> BAR: path $(want_path "$size")" \
		copy_path "$(want_path "$size")" /dev/nvme0n1 /dev/iopmem0 --size "$size" --offset "$off"
done
t "the copy ran at the namespace's O_DIRECT alignment ($align)" grep -q "\"align\":$align," "$out"
t "--no-kernel: the same copy through the mapping, path $(want_path 4096 p2p)" \
	copy_path "$(want_path 4096 p2p)" /dev/nvme0n1 /dev/iopmem0 --size 4096 --offset 22M --no-kernel
# The 64 MiB one again, on a fresh mapping, watching the fault counters.
user=$(counter faults_user) kern=$(counter faults_kernel)
"$cli" copy /dev/nvme0n1 /dev/iopmem0 --size 64M --offset 24M --no-kernel >/dev/null
du=$(($(counter faults_user) - user)) dk=$(($(counter faults_kernel) - kern))
echo "# 64 MiB copy: $du pages faulted by the CPU, $dk by the kernel"
user=$(counter faults_user) kern=$(counter faults_kernel)
"$cli" copy /dev/nvme0n1 /dev/iopmem0 --size 64M --offset 24M >/dev/null
ku=$(($(counter faults_user) - user)) kk=$(($(counter faults_kernel) - kern))
echo "# 64 MiB copy by iopmem.ko: $ku pages faulted by the CPU, $kk by the kernel"
if [ "$expect" = p2p ]; then
	t "P2P: the CPU never touched the BAR, GUP mapped all 16384 pages for DMA" \
		test "$du" = 0 -a "$dk" -ge 16384
	t "kernel path: no page of the mapping was touched, by the CPU or by GUP" \
		test "$ku" = 0 -a "$kk" = 0
else
	t "bounce: the CPU wrote the BAR (all 16384 pages), the kernel mapped none" \
		test "$du" -ge 16384 -a "$dk" = 0
	t "bounce: the reason is the topology" reason_has topology
fi
t "no page is left pinned after the copies" test "$(counter pages_pinned)" = 0

# BAR -> storage.
for c in 1:96 4095:97 1048579:100 67108864:104; do
	size=${c%%:*} off=$((${c#*:} * MiB))
	t "copy $size bytes BAR -> NVMe: path $(want_path "$size")" \
		copy_path "$(want_path "$size")" /dev/iopmem0 /dev/nvme1n1 --size "$size" --offset "$off"
done

# NVMe -> BAR -> NVMe, file to file through device memory.
t "copy 16 MiB NVMe -> NVMe via the BAR: path $(want_path 16777216 p2p)" \
	copy_path "$(want_path 16777216 p2p)" /dev/nvme0n1 /dev/nvme1n1 --offset 32M --size 16M --qd 8 --via iopmem0

# A kernel p2pdma provider (the second NVMe's CMB) as the stage: p2pmem.
if [ "$LAB_P2PDMA" = y ]; then
	cmb=$(basename "$(readlink -f /sys/block/nvme1n1/device/device)")
	t "the NVMe CMB is a p2pmem provider" test -e "/sys/bus/pci/devices/$cmb/p2pmem/allocate"
	t "copy 4 MiB NVMe -> NVMe via p2pmem:$cmb (the CMB): path $(want_path 4194304 p2p)" \
		copy_path "$(want_path 4194304 p2p)" /dev/nvme0n1 /dev/nvme1n1 --src-offset 40M \
		--dst-offset 200M --size 4M --chunk 256K --qd 4 --via "p2pmem:$cmb"
	touch "$LAB_RESULTS/p2pmem-ran"
fi

# A file no PCI device holds (the host's, over 9p): honest bounce, or refusal.
t "copy from a 9p file -> BAR: path bounce" \
	copy_path bounce "$COPY_SEED" /dev/iopmem0 --dst-offset 180M
t "the reason says no device can DMA it" reason_has no-dma
"$cli" copy "$COPY_SEED" /dev/iopmem0 --dst-offset 184M --no-fallback 2>"$LAB_OUT/nofb.err"
rc=$?
echo "# --no-fallback: exit $rc: $(cat "$LAB_OUT/nofb.err")"
t "--no-fallback refuses it: exit 3 and says why" \
	eval '[ $rc = 3 ] && grep -q "not allowed" "$LAB_OUT/nofb.err"'
if [ "$expect" = p2p ]; then
	t "--no-fallback on a P2P path copies (aligned)" \
		copy_path kernel /dev/nvme0n1 /dev/iopmem0 --offset 24M --size 4M --no-fallback
else
	"$cli" copy /dev/nvme0n1 /dev/iopmem0 --offset 24M --size 4M --no-fallback 2>"$LAB_OUT/nofb.err"
	rc=$?
	t "--no-fallback without a P2P path: exit 3 and the topology's reason" \
		eval '[ $rc = 3 ] && grep -q "cannot DMA" "$LAB_OUT/nofb.err"'
fi

# A disk whose driver never opted in to P2PDMA (virtio-blk). The p2pdma kernel
# refuses its DMA to p2pdma pages at GUP time: the copy must notice, bounce the
# rest and say so; with --no-fallback fail. Other kernels let it DMA.
if [ "$expect" = bounce ]; then
	vda_path=bounce vda_reason=topology
elif [ "$LAB_P2PDMA" = y ]; then
	vda_path=bounce vda_reason=refused
else
	vda_path=kernel vda_reason=""
fi
t "copy 4 MiB virtio disk -> BAR: path $vda_path" \
	copy_path $vda_path /dev/vda /dev/iopmem0 --offset 188M --size 4M
[ -n "$vda_reason" ] && t "virtio disk: the fallback says $vda_reason" reason_has "$vda_reason"
if [ "$vda_reason" = refused ]; then
	"$cli" copy /dev/vda /dev/iopmem0 --offset 188M --size 4M --no-fallback 2>"$LAB_OUT/nofb.err"
	rc=$?
	echo "# virtio disk --no-fallback: exit $rc: $(cat "$LAB_OUT/nofb.err")"
	t "virtio disk --no-fallback: exit 3, the kernel refused" \
		eval '[ $rc = 3 ] && grep -q "refused DMA" "$LAB_OUT/nofb.err"'
fi

t "--verify reads both ends back and they match" \
	"$cli" copy /dev/nvme0n1 /dev/iopmem0 --offset 20M --size 1048579 --verify

# SIGINT mid-copy: stops between chunks, exit 130, nothing left pinned.
# (Job control on: a non-interactive shell starts background jobs with SIGINT ignored.)
set -m
"$cli" copy /dev/nvme0n1 /dev/iopmem0 --offset 24M --size 64M --qd 2 --chunk 4K \
	>"$LAB_OUT/int.out" 2>&1 &
pid=$!
set +m
sleep 1.5
kill -INT $pid
wait $pid
rc=$?
echo "# interrupted copy: exit $rc: $(tr '\n' ' ' <"$LAB_OUT/int.out")"
t "SIGINT stops the copy: exit 130, says how far it got" \
	eval '[ $rc = 130 ] && grep -q "interrupted after" "$LAB_OUT/int.out"'
t "SIGINT leaves no page pinned" test "$(counter pages_pinned)" = 0

# Bad input: clear errors, exit 2, nothing moved.
bad() { # WHAT ARGS...: exit 2 and one line on stderr
	local what=$1
	shift
	"$cli" copy "$@" 2>"$LAB_OUT/bad.err"
	local rc=$?
	echo "# $what: exit $rc: $(cat "$LAB_OUT/bad.err")"
	[ $rc = 2 ] && [ -s "$LAB_OUT/bad.err" ]
}
t "copy past the end of the BAR: exit 2" bad "past the end" /dev/nvme0n1 /dev/iopmem0 --dst-offset 1G --size 1M
t "copy from a missing file: exit 2" bad "missing file" /nonexistent /dev/iopmem0
t "copy with a bad size: exit 2" bad "bad size" /dev/nvme0n1 /dev/iopmem0 --size 12Q
t "copy to a missing iopmem node: exit 2" bad "missing node" /dev/nvme0n1 iopmem7
