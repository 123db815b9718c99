#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest half of the hot-unplug test (tests/lab-life, lab/hotplug on the host):
# a worker loops 4 MiB O_DIRECT reads NVMe -> BAR (checking the bytes) and
# writes BAR -> NVMe through whichever /dev/iopmemN exists, while the host
# removes the ivshmem device with QMP device_del and adds it back. Every
# removal must end the worker's I/O cleanly (EFAULT/EIO for I/O submitted
# after revocation, SIGBUS for a CPU touch), every re-add must give it a
# working device, and nothing may read back wrong bytes. The first removal
# happens with pages pinned by a pipe: it must not wait for them, and their
# addresses stay reserved until the pipe lets go (tests/guest/iopmem-pin).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$root/tests/tap.sh"
. "$here/lib.sh"
hp=$LAB_OUT/hp nvme=/dev/nvme0n1
mkdir -p "$hp"
kmemleak_reset

# The first removal finds pages pinned by a pipe (lab/hotplug waits for
# "unpinned" before it plugs the device back). The kernel gives p2pdma pages
# to no pipe: that backend has nothing to hold.
pinner=
if [ "$(cat /sys/class/iopmem/iopmem0/backend)" = zone-device ]; then
	"$here/iopmem-pin" unplug /dev/iopmem0 "$(cat /sys/class/iopmem/iopmem0/pci_dev)" "$hp" \
		>"$LAB_OUT/pin.out" 2>&1 &
	pinner=$!
	for _ in $(seq 100); do [ -e "$hp/pinned" ] && break; sleep 0.1; done
fi
"$here/iopmem-life" worker $nvme "$hp" >"$LAB_RESULTS/worker.out" 2>&1 &
worker=$!
for _ in $(seq 600); do [ -s "$hp/up" ] && break; sleep 0.1; done
t "the worker moves bytes through the BAR" [ -s "$hp/up" ]
: >"$hp/ready"
# The host ends with "done"; a stuck cycle shows up as its timeout there.
while [ ! -e "$hp/done" ] && kill -0 $worker 2>/dev/null; do sleep 1; done
wait $worker
rc=$?
cat "$LAB_RESULTS/worker.out"
if [ -n "$pinner" ]; then
	wait $pinner
	prc=$?
	cat "$LAB_OUT/pin.out"
	t "the removal with pinned pages passed its checks (exit $prc)" [ $prc = 0 ]
fi
cycles=$(cat "$hp/cycle" 2>/dev/null || echo 0)
t "the host completed its device_del/device_add cycles ($cycles)" [ ! -e "$hp/failed" ]
t "the worker saw only clean failures and no wrong byte (exit $rc)" [ $rc = 0 ]
t "it reopened the device after every re-add" \
	[ "$(sed -n 's/.* up=\([0-9]*\).*/\1/p' "$LAB_RESULTS/worker.out")" -gt "$cycles" ]
sys=$(ls -d /sys/class/iopmem/iopmem* | head -n1)
t "the device is bound after the last re-add, nothing pinned" sh -c "[ -n '$sys' ] && [ \$(cat $sys/pages_pinned) = 0 ]"
t "iopmem unloads cleanly afterwards" rmmod iopmem
if [ -w /sys/kernel/debug/kmemleak ]; then
	t "kmemleak finds no leak" kmemleak_clean
fi
