// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/debug/iopmem/iopmemN/: what does not fit sysfs's one value per
 * file. p2p_clients is a table of every PCI function's verdict, and making
 * it reads the config space of every bridge on every path: root only, as a
 * seq_file (no page-size limit).
 */
#include <linux/debugfs.h>
#include <linux/pci.h>
#include <linux/seq_file.h>

#include "iopmem_drv.h"

static struct dentry *iopmem_debugfs_root;

/*
 * One line per PCI function that could DMA into the BAR (bridges left out):
 * "BDF path distance address", the address being the bus address a client
 * behind the same switch targets, "dma-api" for root-complex paths, "-" when
 * there is no path. The same verdicts as IOPMEM_IOC_P2P.
 */
static int p2p_clients_show(struct seq_file *m, void *unused)
{
	struct iopmem_dev *idev = m->private;
	struct pci_dev *client = NULL;

	for_each_pci_dev(client) {
		struct iopmem_p2p_query q;

		if ((client->class >> 16) == PCI_BASE_CLASS_BRIDGE)
			continue;
		iopmem_p2p_verdict(idev, client, &q);
		if (q.flags & IOPMEM_P2P_F_BUS_ADDR)
			seq_printf(m, "%s %s %d %#llx\n", pci_name(client),
				   iopmem_p2p_path_name(q.path), q.distance, q.dma_addr);
		else
			seq_printf(m, "%s %s %d %s\n", pci_name(client),
				   iopmem_p2p_path_name(q.path), q.distance,
				   q.path == IOPMEM_P2P_NONE ? "-" : "dma-api");
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(p2p_clients);

/* debugfs waits for readers still in p2p_clients_show() before this returns. */
static void iopmem_debugfs_remove(void *dir)
{
	debugfs_remove_recursive(dir);
}

/**
 * iopmem_debugfs_add() - /sys/kernel/debug/iopmem/iopmemN/ for a bound BAR.
 * @idev: the device (its name set).
 *
 * Removed at unbind (device-managed). A debugfs that is missing or failed is
 * no error: nothing else depends on it.
 *
 * Return: 0 or a negative errno from registering the removal.
 */
int iopmem_debugfs_add(struct iopmem_dev *idev)
{
	struct dentry *dir = debugfs_create_dir(dev_name(&idev->dev), iopmem_debugfs_root);

	debugfs_create_file("p2p_clients", 0400, dir, idev, &p2p_clients_fops);
	return devm_add_action_or_reset(&idev->pdev->dev, iopmem_debugfs_remove, dir);
}

/**
 * iopmem_debugfs_init() - create /sys/kernel/debug/iopmem.
 */
void iopmem_debugfs_init(void)
{
	iopmem_debugfs_root = debugfs_create_dir("iopmem", NULL);
}

/**
 * iopmem_debugfs_exit() - remove it, and what is left in it.
 */
void iopmem_debugfs_exit(void)
{
	debugfs_remove_recursive(iopmem_debugfs_root);
}
