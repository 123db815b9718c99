#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest half of tests/lab-life: lifetime semantics of mappings next to DMA,
# module unload with live mappings, permissions (default mode, the udev rule),
# malformed sysfs writes, pages pinned past unbind, and the seeded fuzzer
# (FUZZ_SEED, FUZZ_CASES; the final BAR image goes to $LAB_RESULTS/fuzz-shadow
# for the host to compare).
# On the debug kernel kmemleak is scanned at the end.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
life=$here/iopmem-life fuzz=$here/iopmem-fuzz abuse=$here/iopmem-abuse
dev=/dev/iopmem0 sys=/sys/class/iopmem/iopmem0 nvme=/dev/nvme0n1
drv=/sys/bus/pci/drivers/iopmem
. "$root/tests/tap.sh"
. "$here/lib.sh"
bdf=$(cat $sys/pci_dev)
# Only what this run allocates counts as a leak.
kmemleak_reset
echo "# $(uname -r), topology $LAB_TOPO, $bdf, $(cat $sys/backend)"

"$life" semantics $dev "$bdf" $nvme
t "pages_pinned is 0 after the lifetime checks" sh -c "[ \$(cat $sys/pages_pinned) = 0 ]"

# Module unload with a live mapping: refused (the open file holds the module),
# and the module keeps working; once the holder is gone, unload succeeds.
hold_mapping() { # run a process that holds a 1 MiB mapping until killed
	exec python3 -c 'import mmap,os,signal,sys; f=os.open(sys.argv[1],os.O_RDWR); m=mmap.mmap(f,1<<20); os.close(f); m[0]=7; sys.stdout.write("mapped\n"); sys.stdout.flush(); signal.pause()' $dev
}
coproc HOLD { hold_mapping; }
read -r -t 60 line <&"${HOLD[0]}"
t "a process maps the BAR and closes its fd" [ "${line:-}" = mapped ]
t "rmmod iopmem is refused while the mapping lives" sh -c '! rmmod iopmem 2>/dev/null'
quiet() { "$@" >/dev/null; }
t "the module still serves the mapping's device" quiet "$abuse" info $dev
kill "$HOLD_PID"
wait "$HOLD_PID" 2>/dev/null
t "rmmod iopmem succeeds once the mapping is gone" rmmod iopmem
t "insmod binds the BAR again" insmod_binds $dev

# Permissions: root-only by default; the udev rule opens the node to a group.
t "/dev/iopmem0 is 0600 root:root without the udev rule" sh -c "[ \"\$(stat -c '%a %U %G' $dev)\" = '600 root root' ]"
as_member() { setpriv --reuid=65534 --regid=65534 --groups="$(getent group iopmem | cut -d: -f3)" "$@"; }
t "an unprivileged user cannot open it (EACCES)" sh -c "setpriv --reuid=65534 --regid=65534 --clear-groups $abuse info $dev 2>&1 | grep -q 'Permission denied'"
udev_applies_rule() {
	getent group iopmem >/dev/null || groupadd -r iopmem || return 1
	mkdir -p /etc/udev/rules.d && cp "$root/tools/60-iopmem.rules" /etc/udev/rules.d/ || return 1
	/lib/systemd/systemd-udevd --daemon 2>/dev/null || return 1
	udevadm trigger --action=add --subsystem-match=iopmem && udevadm settle -t 30
	local ok
	[ "$(stat -c '%a %G' $dev)" = "660 iopmem" ] && ok=1
	udevadm control --exit 2>/dev/null
	[ -n "${ok:-}" ]
}
t "the udev rule makes it 0660 root:iopmem" udev_applies_rule
t "a member of the iopmem group can open it and ask INFO" quiet as_member "$abuse" info $dev
t "a non-member still gets EACCES" sh -c "! setpriv --reuid=65534 --regid=65534 --clear-groups $abuse info $dev 2>/dev/null"
t "an unprivileged user cannot unbind it" sh -c "! setpriv --reuid=65534 --regid=65534 --clear-groups sh -c 'echo $bdf > $drv/unbind' 2>/dev/null"

# Malformed sysfs writes: each refused, nothing changes, the device still works.
sysfs_garbage() {
	local f v bad=0
	for f in $drv/bind $drv/unbind $drv/new_id $drv/remove_id /sys/module/iopmem/parameters/bar; do
		for v in '' 'x' '-1' '99999999999999999999' '0000:ff:1f.7' '1af4' '1af4 1110 0 0 0 0 0 0 0' \
			"$(head -c 300 /dev/zero | tr '\0' 'A')" '2 3' $'\xff\xfe'; do
			printf '%s' "$v" >"$f" 2>/dev/null
		done
	done
	echo 2 >/sys/module/iopmem/parameters/bar || bad=1
	printf '%s\n' 7 >/sys/module/iopmem/parameters/bar # a BAR that does not exist...
	echo "$bdf" >$drv/unbind || bad=1
	echo "$bdf" >$drv/bind 2>/dev/null && { echo "# bind with bar=7 succeeded"; bad=1; }
	echo -1 >/sys/module/iopmem/parameters/bar
	echo "$bdf" >$drv/bind || bad=1 # ...then the default again
	return $bad
}
t "garbage in bind/unbind/new_id/remove_id/bar is refused; bar=7 fails to bind, bar=-1 binds" sysfs_garbage
t "the device answers INFO after all of it" quiet "$abuse" info $dev

# Pages pinned past unbind (a pipe): unbind returns, the hold frees them once
# the pipe lets go; kmemleak, below, checks that the hold leaks nothing.
"$here/iopmem-pin" unbind $dev "$bdf" "$(cat $sys/backend)"

# The fuzzer: seeded, so a failure replays with the same seed.
seed=${FUZZ_SEED:-1} cases=${FUZZ_CASES:-3000}
echo "# fuzz: seed $seed, $cases cases"
"$fuzz" $dev $nvme "$seed" "$cases" "$LAB_RESULTS/fuzz-shadow"
t "the fuzzer found no oracle failures (seed $seed, $cases cases)" [ $? = 0 ]
t "nothing is pinned after the fuzzer" sh -c "[ \$(cat $sys/pages_pinned) = 0 ]"

if [ -w /sys/kernel/debug/kmemleak ]; then
	t "rmmod after the fuzzer" rmmod iopmem
	t "kmemleak finds no leak" kmemleak_clean
fi
