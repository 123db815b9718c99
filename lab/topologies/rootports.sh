# SPDX-License-Identifier: GPL-2.0
# Each device on its own PCIe root port (which exposes ACS) of one host
# bridge: P2P goes through the root complex. A QXL display on the root bus
# lends a BAR that is not prefetchable (BAR 0, 64 MiB) for the refusal of
# register BARs (tests/guest/p2p.sh); nothing in the guest drives it.
TOPO_DESC="each device on its own PCIe root port (ACS capable) of one host bridge"
TOPO_MACHINE=""
TOPO_APPEND=""
TOPO_ARGS=(
	"${LAB_ROOTPORTS[@]}"
	-device qxl,bus=pcie.0
)
