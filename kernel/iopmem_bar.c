// SPDX-License-Identifier: GPL-2.0
/*
 * Which BAR iopmem binds, whether it can, and how it is claimed.
 *
 * The rules a BAR must pass are a table, in the order a user should hear
 * about them: the first rule that refuses a BAR names the reason in dev_err.
 */
#include <linux/io.h>
#include <linux/mmzone.h>
#include <linux/pci.h>

#include "iopmem_drv.h"

/*
 * ZONE_DEVICE memory is added to the memory map in sub-sections (2 MiB on
 * x86-64): a BAR smaller or not aligned to that cannot get struct pages.
 */
#define IOPMEM_BAR_GRANULE SUBSECTION_SIZE

struct iopmem_bar_facts {
	int bar;
	unsigned long flags;
	resource_size_t start;
	resource_size_t size;
	bool allow_registers;
};

struct iopmem_bar_rule {
	bool (*refuses)(const struct iopmem_bar_facts *f);
	const char *why;
};

static bool bar_absent(const struct iopmem_bar_facts *f)
{
	return f->size == 0;
}

static bool bar_is_io(const struct iopmem_bar_facts *f)
{
	return f->flags & IORESOURCE_IO;
}

static bool bar_not_mem(const struct iopmem_bar_facts *f)
{
	return !(f->flags & IORESOURCE_MEM);
}

static bool bar_unassigned(const struct iopmem_bar_facts *f)
{
	return (f->flags & IORESOURCE_UNSET) || f->start == 0;
}

static bool bar_too_small(const struct iopmem_bar_facts *f)
{
	return f->size < IOPMEM_BAR_GRANULE;
}

static bool bar_misaligned(const struct iopmem_bar_facts *f)
{
	return !IS_ALIGNED(f->start, IOPMEM_BAR_GRANULE) ||
	       !IS_ALIGNED(f->size, IOPMEM_BAR_GRANULE);
}

/*
 * Memory behind a non-prefetchable BAR may have side effects on read: device
 * registers. Giving those raw to a user group is a decision for the admin.
 */
static bool bar_registers(const struct iopmem_bar_facts *f)
{
	return !(f->flags & IORESOURCE_PREFETCH) && !f->allow_registers;
}

static const struct iopmem_bar_rule iopmem_bar_rules[] = {
	{ bar_absent, "is not implemented by the device" },
	{ bar_is_io, "is an I/O port BAR; only memory BARs can be mapped" },
	{ bar_not_mem, "is not a memory BAR" },
	{ bar_unassigned,
	  "has no address assigned (firmware out of MMIO space? enable above-4G decoding)" },
	{ bar_too_small,
	  "is smaller than 2 MiB, the smallest unit ZONE_DEVICE can give struct pages" },
	{ bar_misaligned, "is not 2 MiB aligned, as ZONE_DEVICE requires" },
	{ bar_registers,
	  "is not prefetchable: it may hold device registers, which mapping it would give to group iopmem (allow_registers=1 binds it anyway)"
	},
};

static void bar_facts(struct pci_dev *pdev, int bar, struct iopmem_bar_facts *f)
{
	f->bar = bar;
	f->flags = pci_resource_flags(pdev, bar);
	f->start = pci_resource_start(pdev, bar);
	f->size = pci_resource_len(pdev, bar);
}

/* The largest memory BAR, or -ENODEV when the function has none. */
static int bar_largest_mem(struct pci_dev *pdev)
{
	resource_size_t best_size = 0;
	int bar, best = -ENODEV;

	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++) {
		if (!(pci_resource_flags(pdev, bar) & IORESOURCE_MEM))
			continue;
		if (pci_resource_len(pdev, bar) > best_size) {
			best_size = pci_resource_len(pdev, bar);
			best = bar;
		}
	}
	return best;
}

/**
 * iopmem_bar_choose() - pick the BAR to bind and check that it can be bound.
 * @pdev: the PCI function being probed.
 * @known_bar: driver_data of the matching id: 1 + the device's shared-memory
 *             BAR for devices iopmem knows, 0 otherwise.
 * @requested: the "bar" module parameter; -1 means "choose for me".
 * @allow_registers: the "allow_registers" module parameter: bind a BAR that
 *                   is not prefetchable too (and say so).
 *
 * Return: the BAR index, or a negative errno after a dev_err saying why.
 */
int iopmem_bar_choose(struct pci_dev *pdev, unsigned long known_bar, int requested,
		      bool allow_registers)
{
	struct iopmem_bar_facts f;
	int bar = requested;
	size_t i;

	if (bar < 0)
		bar = known_bar ? (int)known_bar - 1 : bar_largest_mem(pdev);
	if (bar < 0) {
		pci_err(pdev, "iopmem: no memory BAR to bind\n");
		return -ENODEV;
	}
	if (bar >= PCI_STD_NUM_BARS) {
		pci_err(pdev, "iopmem: BAR %d does not exist (0-%d)\n", bar, PCI_STD_NUM_BARS - 1);
		return -EINVAL;
	}

	bar_facts(pdev, bar, &f);
	f.allow_registers = allow_registers;
	for (i = 0; i < ARRAY_SIZE(iopmem_bar_rules); i++) {
		if (iopmem_bar_rules[i].refuses(&f)) {
			pci_err(pdev, "iopmem: BAR %d (%pa, %pa bytes) %s\n", bar,
				&f.start, &f.size, iopmem_bar_rules[i].why);
			return -EINVAL;
		}
	}
	if (!(f.flags & IORESOURCE_PREFETCH))
		pci_warn(pdev, "iopmem: binding BAR %d, not prefetchable, because allow_registers=1: group iopmem gets raw access to whatever it holds, device registers included\n",
			 bar);
	return bar;
}

/*
 * The memory type is a deliberate choice, because every later CPU mapping of
 * the BAR inherits it through x86 PAT: the kernel's ioremap() below reserves
 * it for the whole BAR, and memremap_pages() (linear map) and the user PTEs
 * inserted at fault time look the reservation up. Device memory must never be
 * mapped write-back: prefetchable BARs get write-combining, others uncached.
 */
static u32 bar_memtype(unsigned long flags)
{
	return (flags & IORESOURCE_PREFETCH) ? IOPMEM_MEMTYPE_WC : IOPMEM_MEMTYPE_UC;
}

/* devm action; a hold (iopmem_hold.c) may have taken the region over. */
static void bar_release(void *data)
{
	struct iopmem_dev *idev = data;

	if (idev->region)
		release_mem_region(idev->cpu_addr, idev->bar_size);
}

/*
 * Not devm_request_mem_region(): the reservation may have to outlive the
 * binding, with pages of the BAR still pinned.
 */
static int bar_reserve(struct iopmem_dev *idev)
{
	struct pci_dev *pdev = idev->pdev;

	idev->region = request_mem_region(idev->cpu_addr, idev->bar_size, "iopmem");
	if (!idev->region) {
		if (iopmem_hold_covers(idev->cpu_addr))
			pci_err(pdev, "iopmem: BAR %d: pages of its last binding are still pinned; bind once they are released\n",
				idev->bar);
		else
			pci_err(pdev, "iopmem: BAR %d is in use by another driver\n", idev->bar);
		return -EBUSY;
	}
	return devm_add_action_or_reset(&pdev->dev, bar_release, idev);
}

/**
 * iopmem_bar_claim() - reserve idev->bar and map it for the kernel.
 * @idev: device whose @pdev and @bar are set.
 *
 * Fills in the BAR's addresses, flags and memory type. Everything is
 * device-managed and undone at unbind.
 *
 * Return: 0 or a negative errno.
 */
int iopmem_bar_claim(struct iopmem_dev *idev)
{
	struct pci_dev *pdev = idev->pdev;
	struct device *dev = &pdev->dev;
	int bar = idev->bar;
	int ret;

	idev->bar_flags = pci_resource_flags(pdev, bar);
	idev->bar_size = pci_resource_len(pdev, bar);
	idev->cpu_addr = pci_resource_start(pdev, bar);
	idev->bus_addr = pci_bus_address(pdev, bar);
	idev->memtype = bar_memtype(idev->bar_flags);
	if (idev->bar_flags & IORESOURCE_PREFETCH)
		idev->info_flags |= IOPMEM_INFO_F_PREFETCHABLE;
	if (idev->bar_flags & IORESOURCE_MEM_64)
		idev->info_flags |= IOPMEM_INFO_F_64BIT;

	ret = bar_reserve(idev);
	if (ret)
		return ret;
	if (idev->memtype == IOPMEM_MEMTYPE_WC)
		idev->io = devm_ioremap_wc(dev, idev->cpu_addr, idev->bar_size);
	else
		idev->io = devm_ioremap(dev, idev->cpu_addr, idev->bar_size);
	if (!idev->io) {
		pci_err(pdev, "iopmem: cannot map BAR %d (memory type conflict?)\n", bar);
		return -ENOMEM;
	}
	return 0;
}
