# SPDX-License-Identifier: GPL-2.0
# Each device on its own PCIe root port (which exposes ACS) of one host
# bridge: P2P goes through the root complex.
TOPO_DESC="each device on its own PCIe root port (ACS capable) of one host bridge"
TOPO_MACHINE=""
TOPO_APPEND=""
TOPO_ARGS=(
	-device pcie-root-port,id=rp1,bus=pcie.0,chassis=1,slot=1
	-device pcie-root-port,id=rp2,bus=pcie.0,chassis=2,slot=2
	-device pcie-root-port,id=rp3,bus=pcie.0,chassis=3,slot=3
	-device "$LAB_NVME0,bus=rp1"
	-device "$LAB_SHM,bus=rp2"
	-device "$LAB_NVME1,bus=rp3"
)
