// SPDX-License-Identifier: GPL-2.0
/*
 * struct pages for the BAR, from one of two backends:
 *
 *  - zone-device: iopmem's own devm_memremap_pages() registration
 *    (MEMORY_DEVICE_GENERIC), for kernels built without CONFIG_PCI_P2PDMA
 *    (Debian's among them);
 *  - p2pdma: the kernel's PCI p2pdma provider API, so the kernel's own P2P
 *    rules (pci_p2pdma_distance) govern the block layer's DMA mapping of the
 *    pages, and in-kernel p2pdma users can find the part of the BAR that is
 *    published for them.
 *
 * Page types: the char device's pages are MEMORY_DEVICE_GENERIC (or the
 * p2pdma provider's); only with dax=1 are they FS-DAX pages, and then they
 * are the DAX disk's alone. From 6.15 on FS-DAX pages idle at refcount 0,
 * file systems wait for them to drop back to 0 and GUP refuses to pin them
 * long-term, so one BAR cannot serve both (DESIGN.md, "Page types").
 *
 * Idle refcounts differ by type and kernel (GENERIC: 1; FS-DAX and P2PDMA: 1
 * before 6.15, 0 after) and are read, not assumed. The char device's p2pdma
 * window is raised to 1 where it idles at 0, as p2pmem_alloc_mmap() does per
 * mapping: a page that dropped to 0 would go back to the pool one by one.
 * A page is pinned (GUP for DMA, vmsplice) when it holds references beyond
 * its idle count and its mappings (compat.h, iopmem_page_pins()). Teardown
 * runs once every mapping is gone: the p2pdma window waits for its pins (the
 * kernel gives P2PDMA pages to DMA users only), the zone-device pagemap is
 * handed to a hold when pins outlast a short grace (iopmem_hold.c).
 */
#include <linux/delay.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/pci-p2pdma.h>

#include "compat.h"
#include "iopmem_drv.h"

struct iopmem_backend_ops {
	u32 backend;
	const char *name;
	int (*setup)(struct iopmem_dev *idev, unsigned int share_pct);
};

/* Where the window's pages are, and what an idle one's refcount is. */
static void pages_note_base(struct iopmem_dev *idev)
{
	idev->base_pfn = PHYS_PFN(idev->cpu_addr);
	idev->base_refs = page_ref_count(pfn_to_page(idev->base_pfn));
}

/* devm action: after the char device's teardown, before the BAR's. */
static void zone_device_release(void *data)
{
	iopmem_hold_release_pages(data);
}

/*
 * memremap_pages() rather than the devm variant: the pagemap may have to
 * outlive the binding (iopmem_hold_release_pages()).
 */
static int zone_device_setup(struct iopmem_dev *idev, unsigned int share_pct)
{
	struct dev_pagemap *pgmap = &idev->pgmap;
	void *addr;

	idev->size = idev->bar_size;
	/*
	 * FS-DAX pages only when asked (dax=1) and the kernel has FS-DAX: a
	 * DAX file system maps them, and waits on their references when it
	 * truncates. Otherwise generic pages, which the char device maps.
	 */
	pgmap->type = idev->fsdax ? MEMORY_DEVICE_FS_DAX : MEMORY_DEVICE_GENERIC;
	pgmap->range.start = idev->cpu_addr;
	pgmap->range.end = idev->cpu_addr + idev->size - 1;
	pgmap->nr_range = 1;
	addr = memremap_pages(pgmap, dev_to_node(&idev->pdev->dev));
	if (IS_ERR(addr)) {
		pci_err(idev->pdev, "iopmem: memremap_pages failed: %pe\n", addr);
		return PTR_ERR(addr);
	}
	idev->kaddr = addr;
	pages_note_base(idev);
	return devm_add_action_or_reset(&idev->pdev->dev, zone_device_release, idev);
}

/**
 * struct iopmem_p2pdma_window - the char device's part of the p2pdma pool.
 * @pdev: the provider.
 * @addr: kernel address of the window (the BAR's start).
 * @size: its length.
 * @raised: the pages idled at refcount 0 and iopmem holds them at 1.
 */
struct iopmem_p2pdma_window {
	struct pci_dev *pdev;
	void *addr;
	size_t size;
	bool raised;
};

static void p2pdma_window_set_refs(struct iopmem_p2pdma_window *w, int count)
{
	unsigned long i;

	for (i = 0; i < w->size >> PAGE_SHIFT; i++)
		set_page_count(virt_to_page(w->addr + (i << PAGE_SHIFT)), count);
}

/*
 * From 6.15 on P2PDMA pages idle at refcount 0, and a page whose count
 * drops to 0 is handed back to the pool by itself (p2pdma_folio_free()).
 * Mapped as refcounted pages, the window's pages would go 0 -> 1 -> 0 with
 * every mapping and leak back to the pool page by page while iopmem still
 * owns the window. So they are held at 1 for the window's life, like
 * generic pages, and put back to 0 just before the window is freed whole.
 */
static void p2pdma_window_hold(struct iopmem_p2pdma_window *w)
{
	if (page_ref_count(virt_to_page(w->addr)))
		return;
	p2pdma_window_set_refs(w, 1);
	w->raised = true;
}

static void p2pdma_window_free(void *data)
{
	struct iopmem_p2pdma_window *w = data;

	if (w->raised)
		p2pdma_window_set_refs(w, 0);
	pci_free_p2pmem(w->pdev, w->addr, w->size);
}

/*
 * Register the char device's window first and allocate all of it from the
 * (then single-chunk) pool, so it lands at BAR offset 0 deterministically.
 * Only then is the shared remainder added and published for other users.
 */
static int p2pdma_setup(struct iopmem_dev *idev, unsigned int share_pct)
{
	struct pci_dev *pdev = idev->pdev;
	struct iopmem_p2pdma_window *w;
	resource_size_t share;
	phys_addr_t got;
	int ret;

	share = round_down(div_u64(idev->bar_size * share_pct, 100), SUBSECTION_SIZE);
	idev->size = idev->bar_size - share;

	ret = pci_p2pdma_add_resource(pdev, idev->bar, idev->size, 0);
	if (ret) {
		pci_err(pdev, "iopmem: pci_p2pdma_add_resource failed: %d\n", ret);
		return ret;
	}
	w = devm_kzalloc(&pdev->dev, sizeof(*w), GFP_KERNEL);
	if (!w)
		return -ENOMEM;
	w->pdev = pdev;
	w->size = idev->size;
	w->addr = pci_alloc_p2pmem(pdev, w->size);
	if (!w->addr) {
		pci_err(pdev, "iopmem: cannot allocate the BAR window from the p2pdma pool\n");
		return -ENOMEM;
	}
	p2pdma_window_hold(w);
	pages_note_base(idev);
	ret = devm_add_action_or_reset(&pdev->dev, p2pdma_window_free, w);
	if (ret)
		return ret;
	got = virt_to_phys(w->addr);
	if (got != idev->cpu_addr) {
		pci_err(pdev, "iopmem: p2pdma pool returned %pa, not the BAR start\n", &got);
		return -EINVAL;
	}
	if (!share)
		return 0;

	ret = pci_p2pdma_add_resource(pdev, idev->bar, share, idev->size);
	if (ret) {
		pci_err(pdev, "iopmem: cannot add the shared part of the BAR: %d\n", ret);
		return ret;
	}
	pci_p2pmem_publish(pdev, true);
	idev->info_flags |= IOPMEM_INFO_F_PUBLISHED;
	return 0;
}

static const struct iopmem_backend_ops iopmem_backends[] = {
	{ IOPMEM_BACKEND_ZONE_DEVICE, "zone-device", zone_device_setup },
	{ IOPMEM_BACKEND_P2PDMA, "p2pdma", p2pdma_setup },
};

static const struct iopmem_backend_ops *backend_ops(u32 backend)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(iopmem_backends); i++)
		if (iopmem_backends[i].backend == backend)
			return &iopmem_backends[i];
	return NULL;
}

/**
 * iopmem_backend_name() - user-visible name of a backend.
 * @backend: enum iopmem_backend value.
 *
 * Return: the name, or "unknown".
 */
const char *iopmem_backend_name(u32 backend)
{
	const struct iopmem_backend_ops *ops = backend_ops(backend);

	return ops ? ops->name : "unknown";
}

/**
 * iopmem_pages_setup() - give the claimed BAR struct pages.
 * @idev: device whose BAR is claimed (iopmem_bar_claim()).
 * @use_p2pdma: prefer the kernel's p2pdma provider API where it is built in.
 * @fsdax: FS-DAX pages for a DAX disk (zone-device backend; the char device
 *         then maps nothing).
 * @share_pct: p2pdma backend only: percent of the BAR left in the kernel's
 *             pool and published for in-kernel users instead of /dev/iopmemN.
 *
 * Sets idev->size, ->base_pfn, ->base_refs, ->backend and ->fsdax.
 * Device-managed.
 *
 * Return: 0 or a negative errno.
 */
int iopmem_pages_setup(struct iopmem_dev *idev, bool use_p2pdma, bool fsdax,
		       unsigned int share_pct)
{
	const struct iopmem_backend_ops *ops;
	int ret;

	idev->fsdax = fsdax && IS_ENABLED(CONFIG_FS_DAX);
	if (idev->fsdax)
		idev->info_flags |= IOPMEM_INFO_F_DAX_DISK;
	/* Without CONFIG_PCI_P2PDMA the provider API is stubs that fail. */
	if (use_p2pdma && !idev->fsdax && IS_ENABLED(CONFIG_PCI_P2PDMA))
		ops = backend_ops(IOPMEM_BACKEND_P2PDMA);
	else
		ops = backend_ops(IOPMEM_BACKEND_ZONE_DEVICE);

	ret = ops->setup(idev, share_pct);
	if (ret)
		return ret;
	idev->backend = ops->backend;
	return 0;
}

static bool page_busy(const struct iopmem_dev *idev, unsigned long i)
{
	return iopmem_page_pins(pfn_to_page(idev->base_pfn + i), idev->base_refs) > 0;
}

/**
 * iopmem_pages_first_busy() - find the first pinned page of the window.
 * @idev: device with pages.
 * @from: page index to start at.
 *
 * Return: the index of the first pinned page at or after @from, or
 * iopmem_nr_pages() when there is none.
 */
unsigned long iopmem_pages_first_busy(const struct iopmem_dev *idev, unsigned long from)
{
	for (; from < iopmem_nr_pages(idev); from++)
		if (page_busy(idev, from))
			break;
	return from;
}

/**
 * iopmem_pages_busy() - count the window's pages that are referenced.
 * @idev: device with pages.
 *
 * Return: the number of pages holding references beyond their idle count and
 * their mappings, i.e. pinned by get_user_pages()/pin_user_pages() users
 * such as O_DIRECT, or by vmsplice().
 */
unsigned long iopmem_pages_busy(const struct iopmem_dev *idev)
{
	unsigned long i, busy = 0;

	for (i = 0; i < iopmem_nr_pages(idev); i++)
		busy += page_busy(idev, i);
	return busy;
}

/**
 * iopmem_pages_wait_idle() - wait until no page of the window is pinned.
 * @idev: device being torn down, whose user mappings are already revoked
 *        (no page gets a new pin, so the scan resumes where it stopped).
 * @max_ms: give up after this long; 0 waits for as long as it takes, and
 *          says every 5 s what it waits for.
 *
 * The struct pages and the BAR go away after this; a page still pinned is
 * DMA still in flight or a driver still holding it, and releasing the memory
 * under it would be a use-after-free. So this waits, as memunmap_pages() does
 * for its own references.
 *
 * Return: true once no page is pinned, false when @max_ms passed first.
 */
bool iopmem_pages_wait_idle(const struct iopmem_dev *idev, unsigned int max_ms)
{
	unsigned int waited_ms = 0;
	unsigned long next = 0;

	while ((next = iopmem_pages_first_busy(idev, next)) < iopmem_nr_pages(idev)) {
		if (max_ms && waited_ms >= max_ms)
			return false;
		if (!max_ms && waited_ms % 5000 == 0)
			pci_info(idev->pdev, "iopmem: waiting for %lu pinned pages to be released\n",
				 iopmem_pages_busy(idev));
		msleep(20);
		waited_ms += 20;
	}
	return true;
}
