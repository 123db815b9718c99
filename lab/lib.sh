# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the iopmem lab scripts. Source it; it defines functions only.
#
# Everything fetched or built for the lab (Debian kernel packages, the p2pdma
# kernel build) lives in $IOPMEM_LAB_CACHE, outside the source tree, so a fresh
# clone on the same machine reuses it. Per-clone products (the module built for
# each lab kernel, initramfs images) live in $LAB_ROOT/build.

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_ROOT=$(dirname "$LAB_DIR")
LAB_CACHE=${IOPMEM_LAB_CACHE:-/var/cache/iopmem-lab}
LAB_BUILD=${IOPMEM_LAB_BUILD:-$LAB_ROOT/build}
# make check's kernels: Debian's 6.1 and 6.12 packages (no PCI_P2PDMA) and
# 7.2 built from sid's linux-source-7.2 (PCI_P2PDMA, lockdep, DEBUG_VM).
LAB_KERNELS="6.1 6.12 7.2"
# Not in make check: the KASAN/kmemleak kernel of make stress, and 6.12 built
# with PCI_P2PDMA (the p2pdma provider with devmap PTEs; KERNELS=p2pdma).
LAB_OTHER_KERNELS="debug p2pdma"

lab_say() { printf 'lab: %s\n' "$*" >&2; }
lab_die() { printf 'lab: error: %s\n' "$*" >&2; exit 2; }

# lab_need_root: the lab installs packages and writes the shared cache.
lab_need_root() {
	[ "$(id -u)" = 0 ] || lab_die "run as root (it installs Debian packages and writes $LAB_CACHE)"
}

# lab_apt_update: refresh package lists once per day at most.
lab_apt_update() {
	local stamp=$LAB_CACHE/.apt-updated
	mkdir -p "$LAB_CACHE"
	if [ -z "$(find "$stamp" -mmin -1440 2>/dev/null)" ]; then
		lab_say "apt-get update"
		apt-get update -q >/dev/null || lab_die "apt-get update failed"
		touch "$stamp"
	fi
}

# lab_suite_apt SUITE CMD ARGS...: run apt-get/apt-cache CMD against Debian
# SUITE (sid, trixie-backports...) through package lists kept in the lab
# cache, refreshed once per day. The host's own sources stay as they are.
lab_suite_apt() {
	local suite=$1 cmd=$2 a=$LAB_CACHE/apt/$1 opts
	shift 2
	mkdir -p "$a/lists/partial" "$a/cache/archives/partial"
	if ! grep -q '^deb-src ' "$a/sources.list" 2>/dev/null; then
		printf 'deb%s [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian %s main\n' \
			"" "$suite" -src "$suite" >"$a/sources.list"
		rm -f "$a/.updated"
	fi
	opts=(-o "Dir::Etc::sourcelist=$a/sources.list" -o Dir::Etc::sourceparts=- -o "Dir::State::Lists=$a/lists"
		-o "Dir::Cache=$a/cache" -o APT::Sandbox::User=root)
	if [ -z "$(find "$a/.updated" -mmin -1440 2>/dev/null)" ]; then
		apt-get "${opts[@]}" update -q >/dev/null 2>&1 && touch "$a/.updated" ||
			lab_say "apt-get update for Debian $suite failed"
	fi
	"$cmd" "${opts[@]}" "$@"
}

# lab_apt_install PKG...: install the Debian packages that are missing.
lab_apt_install() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	lab_need_root
	lab_apt_update
	lab_say "installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null ||
		lab_die "apt-get install ${missing[*]} failed"
}

# lab_hash FILE...: a short content hash of the given files (cache keys).
lab_hash() { cat "$@" | sha256sum | cut -c1-12; }

# lab_topology NAME: load topology NAME. Topology files place the lab's three
# devices, described here, and set TOPO_DESC, TOPO_ARGS (QEMU devices),
# TOPO_MACHINE (q35 options), TOPO_APPEND (kernel command line), TOPO_CPU and
# TOPO_P2PDMA: "p2p" if the kernel's p2pdma rules allow NVMe <-> BAR, else
# "refuse".
lab_topology() {
	[ -f "$LAB_DIR/topologies/$1.sh" ] ||
		lab_die "unknown topology '$1' (choose from: $(cd "$LAB_DIR/topologies" && ls | sed 's/\.sh$//' | xargs))"
	# EPYC: AMD family 17h, which the kernel's p2pdma rules trust for P2P
	# through the root complex.
	TOPO_CPU=EPYC
	TOPO_P2PDMA=p2p
	LAB_NVME0="nvme,serial=lab-nvme0,drive=nvm0"
	LAB_NVME1="nvme,serial=lab-nvme1,drive=nvm1,cmb_size_mb=16"
	# id: the hot-unplug test removes and re-adds it by name over QMP.
	LAB_SHM="ivshmem-plain,memdev=shm0,id=shm0dev"
	# The common layout: each device on its own root port of the host bridge.
	LAB_ROOTPORTS=(
		-device pcie-root-port,id=rp1,bus=pcie.0,chassis=1,slot=1
		-device pcie-root-port,id=rp2,bus=pcie.0,chassis=2,slot=2
		-device pcie-root-port,id=rp3,bus=pcie.0,chassis=3,slot=3
		-device "$LAB_NVME0,bus=rp1"
		-device "$LAB_SHM,bus=rp2"
		-device "$LAB_NVME1,bus=rp3"
	)
	# shellcheck source=/dev/null
	. "$LAB_DIR/topologies/$1.sh"
}
