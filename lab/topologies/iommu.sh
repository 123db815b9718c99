# SPDX-License-Identifier: GPL-2.0
# intel-iommu translating every DMA; devices on their own root ports. DMA to
# the BAR goes through an IOVA the IOMMU maps to the BAR's address.
TOPO_DESC="intel-iommu on (DMA translated), each device on its own PCIe root port"
TOPO_MACHINE=",kernel-irqchip=split"
TOPO_APPEND="intel_iommu=on iommu.passthrough=0"
TOPO_ARGS=(
	-device intel-iommu,intremap=on
	"${LAB_ROOTPORTS[@]}"
)
