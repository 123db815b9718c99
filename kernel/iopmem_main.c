// SPDX-License-Identifier: GPL-2.0
/*
 * iopmem: PCIe BARs as GUP-able memory.
 *
 * Binds a memory BAR of any PCI function, gives it struct pages (ZONE_DEVICE)
 * and exposes it as /dev/iopmemN, whose shared mappings other devices can DMA
 * into through O_DIRECT or io_uring: peer-to-peer DMA without a bounce through
 * system RAM. Devices iopmem knows bind by id; any other binds through
 * driver_override or new_id.
 */
#include <linux/module.h>
#include <linux/pci.h>

#include "iopmem_drv.h"

static int bar = -1;
module_param(bar, int, 0644);
MODULE_PARM_DESC(bar, "BAR to bind on the next probe (-1: the device's known BAR, else its largest memory BAR)");

/*
 * A BAR that is not prefetchable may hold device registers: mapping it hands
 * them, raw, to every member of group iopmem. Only on request.
 */
static bool allow_registers;
module_param(allow_registers, bool, 0644);
MODULE_PARM_DESC(allow_registers, "Also bind BARs that are not prefetchable (may be device registers, given raw to group iopmem; default: no)");

static bool use_p2pdma = true;
module_param(use_p2pdma, bool, 0444);
MODULE_PARM_DESC(use_p2pdma, "Use the kernel's PCI p2pdma provider API when the kernel has it (default: yes)");

static bool blk = true;
module_param(blk, bool, 0444);
MODULE_PARM_DESC(blk, "Also offer each BAR as a block device, /dev/iopmem-blkN, DAX-capable where the pages allow (default: yes)");

/*
 * FS-DAX pages are the file system's to hand out and to wait on (truncate
 * waits for them to go idle, they cannot be pinned long-term), so from 6.15
 * on they cannot also be /dev/iopmemN's. One page type per BAR, chosen here.
 */
static bool dax;
module_param(dax, bool, 0444);
MODULE_PARM_DESC(dax, "Make each BAR a DAX disk: FS-DAX pages for a DAX file system on /dev/iopmem-blkN, and /dev/iopmemN maps nothing (default: no, the char device's generic pages)");

static unsigned int p2pdma_share = 25;
module_param(p2pdma_share, uint, 0444);
MODULE_PARM_DESC(p2pdma_share, "p2pdma backend: percent of each BAR published to in-kernel p2pdma users instead of /dev/iopmemN (0-90, default 25)");

/* driver_data: 1 + the BAR holding the device's shared memory. */
#define IOPMEM_KNOWN_BAR(n) ((n) + 1)

static const struct pci_device_id iopmem_pci_ids[] = {
	/* QEMU ivshmem (plain and doorbell): BAR 2 is the shared memory. */
	{ PCI_DEVICE(PCI_VENDOR_ID_REDHAT_QUMRANET, 0x1110), .driver_data = IOPMEM_KNOWN_BAR(2) },
	{ }
};
MODULE_DEVICE_TABLE(pci, iopmem_pci_ids);

static int iopmem_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct iopmem_dev *idev;
	int ret;

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	idev = iopmem_dev_create(pdev);
	if (IS_ERR(idev))
		return PTR_ERR(idev);

	ret = iopmem_bar_choose(pdev, id->driver_data, READ_ONCE(bar), READ_ONCE(allow_registers));
	if (ret < 0)
		return ret;
	idev->bar = ret;
	ret = iopmem_bar_claim(idev);
	if (ret)
		return ret;
	/* pages_setup picks the backend: never the p2pdma one for FS-DAX pages. */
	ret = iopmem_pages_setup(idev, use_p2pdma, dax && blk, min(p2pdma_share, 90U));
	if (ret)
		return ret;
	ret = iopmem_cdev_add(idev);
	if (ret)
		return ret;
	ret = iopmem_debugfs_add(idev);
	if (ret)
		return ret;
	if (blk) {
		ret = iopmem_blk_add(idev);
		if (ret)
			return ret;
	}
	pci_set_drvdata(pdev, idev);

	pci_info(pdev, "iopmem: BAR %d %pa (%llu MiB, %s) -> /dev/%s: %llu MiB, %s backend%s, bus address %#llx\n",
		 idev->bar, &idev->cpu_addr, (unsigned long long)idev->bar_size >> 20,
		 iopmem_memtype_name(idev->memtype), dev_name(&idev->dev),
		 (unsigned long long)idev->size >> 20, iopmem_backend_name(idev->backend),
		 idev->fsdax ? " (FS-DAX pages: a DAX disk, not mapped here)" : "",
		 (unsigned long long)idev->bus_addr);
	return 0;
}

static struct pci_driver iopmem_pci_driver = {
	.name = "iopmem",
	.id_table = iopmem_pci_ids,
	.probe = iopmem_probe,
};

static int __init iopmem_init(void)
{
	int ret;

	ret = iopmem_hold_init();
	if (ret)
		return ret;
	ret = iopmem_cdev_init();
	if (ret)
		goto err_hold;
	iopmem_debugfs_init();
	ret = pci_register_driver(&iopmem_pci_driver);
	if (ret)
		goto err_cdev;
	return 0;
err_cdev:
	iopmem_debugfs_exit();
	iopmem_cdev_exit();
err_hold:
	iopmem_hold_exit();
	return ret;
}

static void __exit iopmem_exit(void)
{
	pci_unregister_driver(&iopmem_pci_driver);
	/* Holds keep devices of the class: they go first. */
	iopmem_hold_exit();
	iopmem_debugfs_exit();
	iopmem_cdev_exit();
}

module_init(iopmem_init);
module_exit(iopmem_exit);

MODULE_DESCRIPTION("PCIe BARs as GUP-able memory for peer-to-peer DMA");
MODULE_AUTHOR("The iopmem developers");
MODULE_LICENSE("GPL");
MODULE_VERSION("0.1.0");
