# SPDX-License-Identifier: GPL-2.0
# An Intel CPU whose root complex (q35, 8086:29c0) is not on the kernel's P2P
# host-bridge whitelist, devices on separate root ports: there is no switch to
# turn traffic around in, so by the kernel's p2pdma rules the NVMe <-> BAR
# path is not supported. A p2pdma kernel must refuse it (EREMOTEIO).
TOPO_DESC="Intel CPU, root complex not on the kernel's P2P whitelist, each device on its own root port"
TOPO_CPU=Nehalem
TOPO_P2PDMA=refuse
TOPO_MACHINE=""
TOPO_APPEND=""
TOPO_ARGS=(
	"${LAB_ROOTPORTS[@]}"
)
