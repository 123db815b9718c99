# SPDX-License-Identifier: GPL-2.0
# Each device on its own PCIe root port (which exposes ACS) of one host
# bridge: P2P goes through the root complex.
TOPO_DESC="each device on its own PCIe root port (ACS capable) of one host bridge"
TOPO_MACHINE=""
TOPO_APPEND=""
TOPO_ARGS=(
	"${LAB_ROOTPORTS[@]}"
)
