#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest half of tests/lab-dax: /dev/iopmem-blk0 as a block device and, where
# the pages allow, as the home of a DAX file system whose file mappings are
# P2P buffers. DAX_STAGE=1: first boot (block I/O, mkfs, P2P through a file,
# module reload); =2: a new boot over the same BAR file (persistence, fsck,
# bad input). DAX_EXPECT=dax|nodax says whether this kernel/backend has DAX.
# Offsets and checksums for the host go to $LAB_RESULTS.
set -u
here=$(cd "$(dirname "$0")" && pwd)
cli=$here/../../tools/iopmem
dev=/dev/iopmem-blk0 sys=/sys/class/iopmem/iopmem0 mnt=/tmp/iopmem-dax
expect=${DAX_EXPECT:-dax}
. "$here/../tap.sh"
. "$here/lib.sh"
lab_modprobe ext4 || echo "# ext4: built in, or not loadable"
mkdir -p "$mnt"
opts=dax=always
[ "$expect" = dax ] || opts=dax=never

fails() { ! "$@"; }
# unbind_waits_for_umount: a process maps a file of the mounted DAX file
# system; unbind must wait (it cannot revoke such mappings) while the mapping
# keeps reading the file's bytes, and finish once the file system is gone.
unbind_waits_for_umount() {
	local bdf drv=/sys/bus/pci/drivers/iopmem ub line ok=1
	bdf=$(cat $sys/pci_dev)
	coproc HOLD { exec python3 -c '
import mmap, os, sys
f = os.open(sys.argv[1], os.O_RDWR); m = mmap.mmap(f, 0); os.close(f)
seed = open(sys.argv[2], "rb").read()
print("mapped", flush=True)
for _ in sys.stdin:
    print("same" if m[:len(seed)] == seed else "differs", flush=True)
' $mnt/seed.bin "$DAX_SEED"; }
	read -r -t 60 line <&"${HOLD[0]}"
	[ "${line:-}" = mapped ] || return 1
	(echo "$bdf" >$drv/unbind) &
	ub=$!
	sleep 3
	kill -0 $ub 2>/dev/null || { echo "# unbind finished under a mounted DAX file system"; ok=0; }
	dmesg | grep -q "unbind waits until it is closed" || { echo "# no word of the wait in the log"; ok=0; }
	# Once unbind has begun the disk takes no new opener (a mount slipping in
	# before del_gendisk() would map files onto a BAR about to be freed).
	if dd if=$dev of=/dev/null bs=4096 count=1 status=none 2>/dev/null; then
		echo "# $dev opened while unbind was waiting for it"
		ok=0
	fi
	echo >&"${HOLD[1]}"
	read -r -t 60 line <&"${HOLD[0]}"
	[ "${line:-}" = same ] || { echo "# the mapping read ${line:-nothing} while unbind waited"; ok=0; }
	kill "$HOLD_PID"
	wait "$HOLD_PID" 2>/dev/null
	umount $mnt || ok=0
	for _ in $(seq 600); do kill -0 $ub 2>/dev/null || break; sleep 0.05; done
	kill -0 $ub 2>/dev/null && { echo "# unbind still waiting after the umount"; ok=0; }
	wait $ub
	echo "$bdf" >$drv/bind || ok=0
	for _ in $(seq 100); do [ -b $dev ] && break; sleep 0.05; done
	mount -o $opts $dev $mnt || ok=0
	[ $ok = 1 ]
}
# char_node_yields_to_mount: /dev/iopmem0 maps the disk's bytes to another
# group; while a file system claims the disk the char node must not write
# them: writable opens and mappings EBUSY, a writable mapping made before
# the mount SIGBUS on its next store, read-only access unchanged; after the
# umount writing works again. (Call with the file system not mounted.)
char_node_yields_to_mount() {
	local ok=1 line ans
	coproc CH { exec python3 "$here/char-vs-disk.py" /dev/iopmem0; }
	read -r -t 60 line <&"${CH[0]}"
	[ "${line:-}" = ready ] || { echo "# the holder did not start"; return 1; }
	mount -o $opts $dev $mnt || { echo "# mount failed"; ok=0; }
	if python3 -c 'import os,sys; os.open(sys.argv[1], os.O_RDWR)' /dev/iopmem0 2>/dev/null; then
		echo "# /dev/iopmem0 opened for writing while $dev is mounted"
		ok=0
	fi
	python3 -c 'import os,sys; os.close(os.open(sys.argv[1], os.O_RDONLY))' /dev/iopmem0 ||
		{ echo "# a read-only open was refused"; ok=0; }
	dmesg | grep -q "opening for writing refused: /dev/iopmem-blk0 is in use" ||
		{ echo "# no word of the refusal in the log"; ok=0; }
	echo read >&"${CH[1]}"
	read -r -t 30 ans <&"${CH[0]}"
	[ "${ans:-}" = 5a5a5a5a ] || { echo "# the read-only mapping read ${ans:-nothing}"; ok=0; }
	echo mmap-write >&"${CH[1]}"
	read -r -t 30 ans <&"${CH[0]}"
	[ "${ans:-}" = EBUSY ] || { echo "# a new writable mapping: ${ans:-nothing}, not EBUSY"; ok=0; }
	echo write >&"${CH[1]}"
	read -r -t 30 ans <&"${CH[0]}"
	wait "$CH_PID" 2>/dev/null
	line=$?
	[ -z "${ans:-}" ] && [ "$line" = 135 ] ||
		{ echo "# a store through the old writable mapping: ${ans:-no answer}, exit $line (not SIGBUS)"; ok=0; }
	umount $mnt || ok=0
	python3 -c 'import os,sys; os.close(os.open(sys.argv[1], os.O_RDWR))' /dev/iopmem0 ||
		{ echo "# /dev/iopmem0 still refuses writing after the umount"; ok=0; }
	[ $ok = 1 ]
}
# xfs_pre_remove: a process maps a file of the mounted XFS (rmapbt); unbind
# notifies XFS (MF_MEM_PRE_REMOVE), which drops every mapping of the device
# and shuts down: unbind must finish without the umount, the mapping must be
# gone from the process, then umount, rebind. (6.8+ kernels.)
xfs_pre_remove() {
	local bdf drv=/sys/bus/pci/drivers/iopmem ub ok=1 line xin xout xpid
	bdf=$(cat $sys/pci_dev)
	coproc XH { exec python3 -c '
import mmap, os, sys
f = os.open(sys.argv[1], os.O_RDWR); m = mmap.mmap(f, 0); os.close(f)
print("mapped", m[0], flush=True)
for _ in sys.stdin:
    print("read", m[0], flush=True)
' $mnt/x.bin; }
	# Kept: bash unsets XH and XH_PID once the coprocess dies (SIGBUS, here).
	xin=${XH[1]} xout=${XH[0]} xpid=$XH_PID
	read -r -t 60 line <&"$xout"
	[[ "${line:-}" == mapped* ]] || { echo "# the holder did not map the file"; return 1; }
	(echo "$bdf" >$drv/unbind) &
	ub=$!
	for _ in $(seq 200); do kill -0 $ub 2>/dev/null || break; sleep 0.05; done
	kill -0 $ub 2>/dev/null && { echo "# unbind still waiting under XFS after 10 s"; ok=0; }
	dmesg | grep -q "dropped its DAX mappings (pre-remove)" || { echo "# no word of the pre-remove"; ok=0; }
	# The file's mapping must be gone: the owner died of SIGBUS, or dies reading.
	line=
	if kill -0 "$xpid" 2>/dev/null; then
		{ echo >&"$xin" && read -r -t 10 line <&"$xout"; } 2>/dev/null
	fi
	[ -z "${line:-}" ] || { echo "# the mapping still read after unbind: $line"; ok=0; }
	kill "$xpid" 2>/dev/null
	wait "$xpid" 2>/dev/null
	umount $mnt || ok=0
	wait $ub
	echo "$bdf" >$drv/bind || ok=0
	for _ in $(seq 100); do [ -b $dev ] && break; sleep 0.05; done
	[ -b $dev ] || ok=0
	[ $ok = 1 ]
}
# char_node_maps_nothing: with dax=1 the BAR's pages are FS-DAX pages, the
# file system's alone: /dev/iopmem0 opens and answers ioctls but every
# mapping is refused (EBUSY) with the reason in the log, and the CLI says so.
char_node_maps_nothing() {
	local ans ok=1
	ans=$(python3 -c '
import errno, mmap, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
try:
    mmap.mmap(fd, 4096).close(); print("mapped")
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e.errno)))
' /dev/iopmem0)
	[ "$ans" = EBUSY ] || { echo "# mmap of /dev/iopmem0: ${ans:-nothing}, not EBUSY"; ok=0; }
	dmesg | grep -q "mapping refused: the BAR is the DAX disk /dev/iopmem-blk0" ||
		{ echo "# no word of the refusal in the log"; ok=0; }
	"$cli" copy /dev/nvme0n1 /dev/iopmem0 --size 4096 2>"$LAB_OUT/dax-node.err" && { echo "# the CLI copied into it"; ok=0; }
	grep -q "loaded with dax=1" "$LAB_OUT/dax-node.err" || { echo "# CLI: $(cat "$LAB_OUT/dax-node.err")"; ok=0; }
	[ $ok = 1 ]
}
mounted_dax() { grep -q "^$dev $mnt ext4 .*dax=always" /proc/mounts; }
reload() { rmmod iopmem && insmod_binds $dev; } # unload and load iopmem.ko again

echo "# $(uname -r), $(cat $sys/backend) backend, expecting $expect, stage ${DAX_STAGE:-1}"
if [ "${DAX_STAGE:-1}" = 1 ]; then
	t "$dev is a block device" test -b $dev
	t "it is as large as /dev/iopmem0" test "$(blockdev --getsize64 $dev)" = "$(cat $sys/size)"
	t "512-byte logical, 4096-byte physical blocks" \
		test "$(blockdev --getss $dev) $(blockdev --getpbsz $dev)" = "512 4096"
	if [ "$expect" = dax ]; then
		t "the queue says DAX" test "$(cat /sys/block/iopmem-blk0/queue/dax)" = 1
	else
		t "the queue says no DAX" test "$(cat /sys/block/iopmem-blk0/queue/dax)" = 0
		t "the kernel log says why there is no DAX" sh -c 'dmesg | grep -q "iopmem-blk0 without DAX: "'
	fi
	t "fio --verify=crc32c: 32 MiB of random 4 KiB writes read back intact" \
		fio --name=verify --filename=$dev --rw=randwrite --bs=4k --size=32M --direct=1 \
		--ioengine=psync --verify=crc32c --do_verify=1 --randrepeat=1 --output="$LAB_OUT/fio.txt"
	t "fio --verify=crc32c with buffered I/O and fsync" \
		fio --name=verify2 --filename=$dev --rw=write --bs=64k --size=16M --offset=32M --fsync=8 \
		--verify=crc32c --do_verify=1 --output="$LAB_OUT/fio2.txt"
	t "a write past the end fails" fails dd if=/dev/zero of=$dev bs=4096 count=1 oflag=direct \
		seek=$(($(blockdev --getsize64 $dev) / 4096)) status=none
	# XFS too, where the kernel has it (before the ext4 the rest uses).
	if [ "$expect" = dax ] && command -v mkfs.xfs >/dev/null && lab_modprobe xfs 2>/dev/null; then
		t "mkfs.xfs (rmapbt), mount -o dax=always" sh -c "mkfs.xfs -q -f -m reflink=0,rmapbt=1 $dev && mount -o dax=always $dev $mnt"
		t "xfs: /proc/mounts says dax=always" grep -q "^$dev $mnt xfs .*dax=always" /proc/mounts
		t "xfs: iopmem copy NVMe -> dax:file, P2P, verified" \
			sh -c 'fallocate -l 4M "$1" && "$0" copy /dev/nvme0n1 "dax:$1" --size 4M --no-fallback --verify >"$2" && grep -q "path p2p:" "$2"' \
			"$cli" $mnt/x.bin "$LAB_OUT/xfs.txt"
		# Pre-remove is sent where the kernel has it, except with refcounted
		# FS-DAX pages (kernel/compat.h says why): there unbind waits.
		cft=$(dirname "$LAB_IOPMEM_KO")/conftest.h
		if grep -q "define IOPMEM_HAVE_DAX_PRE_REMOVE" "$cft" 2>/dev/null &&
			! grep -q "define IOPMEM_HAVE_VMF_INSERT_PAGE_MKWRITE" "$cft"; then
			t "xfs: unbind tells XFS (pre-remove), which lets go: no wait for the umount" xfs_pre_remove
		else
			t "xfs: umount" umount $mnt
		fi
	else
		echo "# xfs: not in this kernel, or no mkfs.xfs"
	fi
	t "mkfs.ext4 (4 KiB blocks)" mkfs.ext4 -q -F -b 4096 -E nodiscard $dev
	if [ "$expect" = dax ]; then
		t "dax=1: /dev/iopmem0 maps nothing (EBUSY, reason in the log and from the CLI)" char_node_maps_nothing
	else
		t "while $dev is mounted /dev/iopmem0 writes none of it (EBUSY, SIGBUS), reads go on; after umount it writes" \
			char_node_yields_to_mount
	fi
	t "mount -o $opts" mount -o $opts $dev $mnt
	if [ "$expect" = dax ]; then
		t "/proc/mounts says dax=always" mounted_dax
	else
		t "mount -o dax=always is refused, cleanly" sh -c "umount $mnt && ! mount -o dax=always $dev $mnt 2>/dev/null && mount -o dax=never $dev $mnt"
	fi
	# The P2P proof: NVMe -> a file's mapping -> the BAR, and back out to NVMe.
	dd if=/dev/zero of=$mnt/p2p.bin bs=1M count=8 status=none && sync
	filefrag -v -b4096 $mnt/p2p.bin >"$LAB_OUT/frag.txt"
	phys=$(awk '$1 == "0:" { sub(/\.\..*/, "", $4); print $4 }' "$LAB_OUT/frag.txt")
	t "the 8 MiB file is one extent (at block $phys)" grep -q "1 extent found" "$LAB_OUT/frag.txt"
	echo "$phys" >"$LAB_RESULTS/p2p-block"
	if [ "$expect" = dax ]; then
		t "iopmem copy NVMe -> dax:file, P2P (no byte through host RAM)" \
			sh -c '"$0" copy /dev/nvme0n1 "dax:$1" --size 8M --no-fallback --json >"$2" && grep -q "\"path\":\"p2p\"" "$2"' \
			"$cli" $mnt/p2p.bin "$LAB_OUT/c1.json"
		t "iopmem copy dax:file -> NVMe, P2P" \
			sh -c '"$0" copy "dax:$1" /dev/nvme1n1 --size 8M --dst-offset 64M --no-fallback --json >"$2" && grep -q "\"path\":\"p2p\"" "$2"' \
			"$cli" $mnt/p2p.bin "$LAB_OUT/c2.json"
	else
		t "dax:file is refused on a file system without DAX, with the reason" \
			sh -c '! "$0" copy /dev/nvme0n1 "dax:$1" --size 8M 2>"$2" && grep -q "not a file on a DAX file system" "$2"' \
			"$cli" $mnt/p2p.bin "$LAB_OUT/c1.err"
		dd if=/dev/nvme0n1 of=$mnt/p2p.bin bs=1M count=8 conv=notrunc status=none && sync
		dd if=$mnt/p2p.bin of=/dev/nvme1n1 bs=1M seek=64 count=8 oflag=direct status=none
	fi
	# Persistence across a module reload: a seed file from the host.
	cp "$DAX_SEED" $mnt/seed.bin && sync
	t "iopmem.ko cannot be unloaded while the file system is mounted" \
		sh -c '! rmmod iopmem 2>"$0" && grep -q "in use" "$0"' "$LAB_OUT/rmmod.err"
	t "two mounts racing for the same device: the file system stays sane" \
		sh -c "mkdir -p $mnt.2 $mnt.3; mount -o $opts $dev $mnt.2 & mount -o $opts $dev $mnt.3 & wait; umount $mnt.2 $mnt.3 2>/dev/null; cmp -s \"\$0\" $mnt/seed.bin" "$DAX_SEED"
	t "umount" umount $mnt
	t "fsck.ext4 -n: clean" fsck.ext4 -n -f $dev
	t "the module reloads" reload
	t "after the reload the file system mounts and the seed file is intact" \
		sh -c "mount -o $opts $dev $mnt && cmp \"\$0\" $mnt/seed.bin && umount $mnt" "$DAX_SEED"
else
	t "after a reboot the file system mounts" mount -o $opts $dev $mnt
	[ "$expect" = dax ] && t "... with DAX" mounted_dax
	t "the seed file survived the reboot" cmp "$DAX_SEED" $mnt/seed.bin
	[ "$expect" = dax ] && t "unbind under a mapped DAX file waits for the umount; the mapping stays valid" \
		unbind_waits_for_umount
	t "umount" umount $mnt
	t "fsck.ext4 -n after the reboot: clean" fsck.ext4 -n -f $dev
	# Bad input: a file system whose blocks are smaller than a page cannot do DAX.
	t "mkfs.ext4 with 1 KiB blocks" mkfs.ext4 -q -F -b 1024 -E nodiscard $dev
	t "mount -o dax=always of it is refused, not a crash" fails mount -o dax=always $dev $mnt
	t "a read past the end returns nothing" test "$(dd if=$dev bs=4096 count=1 iflag=direct \
		skip=$(($(blockdev --getsize64 $dev) / 4096)) status=none | wc -c)" = 0
fi
