# SPDX-License-Identifier: GPL-2.0
# Sourced by guest-side test scripts.

# modprobe_binds: load iopmem with modprobe and wait for /dev/iopmem0. Waits
# with a builtin: every exec crosses 9p under TCG.
modprobe_binds() {
	local i
	modprobe iopmem || return 1
	for ((i = 0; i < 100; i++)); do
		[ -e /dev/iopmem0 ] && return 0
		read -r -t 0.05 <>/dev/ttyS0 2>/dev/null
	done
	return 1
}

# insmod_binds NODE: load the iopmem.ko the lab loaded, with its parameters,
# and wait for NODE (/dev/iopmem0, /dev/iopmem-blk0) to appear.
insmod_binds() {
	local i
	# shellcheck disable=SC2086
	insmod "$LAB_IOPMEM_KO" $LAB_IOPMEM_PARAMS || return 1
	for ((i = 0; i < 100; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

# lab_modprobe MOD...: load modules of the lab kernel (its tree is not the host's /lib/modules).
lab_modprobe() {
	modprobe -d "$LAB_KMODROOT" -S "$(uname -r)" -a "$@"
}

# kmemleak_reset / kmemleak_clean: on kernels with kmemleak (the debug lab
# kernel), forget what was allocated before the test; afterwards scan (twice,
# as kmemleak advises) and fail, printing the reports, on any new leak.
kmemleak_reset() {
	[ -w /sys/kernel/debug/kmemleak ] && echo clear >/sys/kernel/debug/kmemleak
	return 0
}
kmemleak_clean() {
	local k=/sys/kernel/debug/kmemleak n
	echo scan >$k && echo scan >$k || return 1
	n=$(grep -c 'unreferenced object' $k)
	[ "$n" = 0 ] || head -n 40 $k
	[ "$n" = 0 ]
}
