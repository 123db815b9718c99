# SPDX-License-Identifier: GPL-2.0
# NVMe, ivshmem and the second NVMe behind one PCIe switch (no ACS on its
# ports): the textbook P2P case, traffic turns around in the switch.
TOPO_DESC="one PCIe switch (x3130 upstream + 3 xio3130 downstream ports, no ACS) holding NVMe, ivshmem and NVMe-with-CMB"
TOPO_MACHINE=""
TOPO_APPEND=""
TOPO_ARGS=(
	-device pcie-root-port,id=rp0,bus=pcie.0,chassis=1,slot=1
	-device x3130-upstream,id=up0,bus=rp0
	-device xio3130-downstream,id=dp0,bus=up0,chassis=2,slot=0
	-device xio3130-downstream,id=dp1,bus=up0,chassis=3,slot=1
	-device xio3130-downstream,id=dp2,bus=up0,chassis=4,slot=2
	-device "$LAB_NVME0,bus=dp0"
	-device "$LAB_SHM,bus=dp1"
	-device "$LAB_NVME1,bus=dp2"
)
