# SPDX-License-Identifier: GPL-2.0
# An Intel CPU whose root complex (q35, 8086:29c0) is not on the kernel's P2P
# host-bridge whitelist, devices on separate root ports: there is no switch to
# turn traffic around in, so by the kernel's p2pdma rules the NVMe <-> BAR
# path is not supported. A p2pdma kernel must refuse it (EREMOTEIO).
TOPO_DESC="Intel CPU, root complex not on the kernel's P2P whitelist, each device on its own root port"
# RDRAND (Nehalem lacks it) readies the kernel's CRNG at boot. Without it the
# CRNG became ready some 15 s in, while tests ran, and flipping its static key
# rewrote kernel text under TCG: now and then another vCPU then hit the int3
# of the rewrite (an Oops in get_random_u32()). Still an Intel CPU.
TOPO_CPU=Nehalem,+rdrand
TOPO_P2PDMA=refuse
TOPO_MACHINE=""
TOPO_APPEND=""
TOPO_ARGS=(
	"${LAB_ROOTPORTS[@]}"
)
