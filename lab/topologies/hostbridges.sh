# SPDX-License-Identifier: GPL-2.0
# ivshmem behind a second host bridge (pxb-pcie), the NVMe controllers on the
# first: P2P crosses host bridges through the root complex. The kernel's
# p2pdma rules allow that on AMD Zen CPUs (the lab's EPYC) and on whitelisted
# host bridges only.
TOPO_DESC="ivshmem behind a second host bridge (pxb-pcie), both NVMe controllers on root ports of the first"
TOPO_MACHINE=""
TOPO_APPEND=""
TOPO_ARGS=(
	-device pcie-root-port,id=rp1,bus=pcie.0,chassis=1,slot=1
	-device pcie-root-port,id=rp3,bus=pcie.0,chassis=3,slot=3
	-device pxb-pcie,id=pxb1,bus_nr=128,bus=pcie.0
	-device pcie-root-port,id=rp10,bus=pxb1,chassis=10,slot=0
	-device "$LAB_NVME0,bus=rp1"
	-device "$LAB_SHM,bus=rp10"
	-device "$LAB_NVME1,bus=rp3"
)
