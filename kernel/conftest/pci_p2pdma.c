// SPDX-License-Identifier: GPL-2.0
/* The kernel's PCI p2pdma provider API is built in (CONFIG_PCI_P2PDMA). */
#include <linux/pci-p2pdma.h>
#ifndef CONFIG_PCI_P2PDMA
#error "kernel built without CONFIG_PCI_P2PDMA"
#endif
int iopmem_conftest(struct pci_dev *pdev);
int iopmem_conftest(struct pci_dev *pdev)
{
	return pci_p2pdma_add_resource(pdev, 0, 0, 0);
}
