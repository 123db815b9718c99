# SPDX-License-Identifier: GPL-2.0
# intel-iommu translating every DMA; devices on their own root ports. DMA to
# the BAR goes through an IOVA the IOMMU maps to the BAR's address.
TOPO_DESC="intel-iommu on (DMA translated), each device on its own PCIe root port"
TOPO_MACHINE=",kernel-irqchip=split"
TOPO_APPEND="intel_iommu=on iommu.passthrough=0"
TOPO_ARGS=(
	-device intel-iommu,intremap=on
	-device pcie-root-port,id=rp1,bus=pcie.0,chassis=1,slot=1
	-device pcie-root-port,id=rp2,bus=pcie.0,chassis=2,slot=2
	-device pcie-root-port,id=rp3,bus=pcie.0,chassis=3,slot=3
	-device "$LAB_NVME0,bus=rp1"
	-device "$LAB_SHM,bus=rp2"
	-device "$LAB_NVME1,bus=rp3"
)
