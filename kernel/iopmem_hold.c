// SPDX-License-Identifier: GPL-2.0
/*
 * Pinned pages outliving their binding (zone-device backend).
 *
 * Unbind and hot-unplug revoke every mapping, but a page reference taken
 * before that is not the driver's to revoke: a vmsplice() of the mapping
 * into a pipe nobody reads, an RDMA or VFIO pin, a driver holding a page.
 * The struct pages and the BAR behind them must outlive such a reference
 * (releasing them is a use-after-free of the vmemmap and lets the address
 * range go to another device), but remove() must not wait for it: it runs
 * under device_lock, and on hot-unplug under pci_rescan_remove_lock, which
 * any process able to map the device could then hold forever.
 *
 * So remove() waits a moment for references that end by themselves (DMA in
 * flight), then hands the pagemap and the BAR's reservation to a hold and
 * returns. The hold keeps a reference on the iopmem device (the pagemap is
 * part of it) and on the module, polls until no page is referenced beyond
 * its idle count (generic pages idle at 1 and have no page_free callback to
 * say so), and then releases what devm would have released.
 *
 * The reservation keeps the BAR from other drivers while the device is
 * still there. When the device is removed, the PCI core releases its BAR
 * resource and our reservation with it; the hold then reserves the range
 * again at the top level, under pci_rescan_remove_lock, so a device added
 * later does not get the addresses the pinned pages still point at. (A
 * rescan that was already waiting for that lock when the removal ended can
 * still be first: the kernel offers no hook between the two.)
 *
 * The p2pdma backend is not handed over: the kernel owns and tears down that
 * pagemap (devm, in pci_p2pdma_add_resource()), and it hands P2PDMA pages
 * only to users that asked for them for DMA (FOLL_PCI_P2PDMA), never to
 * vmsplice() or long-term pins, so its waits end with the DMA.
 */
#include <linux/ioport.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/wait_bit.h>
#include <linux/workqueue.h>

#include "iopmem_drv.h"

/* Unbind waits this long for pins that end by themselves, then hands over. */
#define IOPMEM_HOLD_GRACE_MS 1000
/* Polling backs off from 20 ms to 1 s. */
#define IOPMEM_HOLD_POLL_MIN (HZ / 50)
#define IOPMEM_HOLD_POLL_MAX HZ

/**
 * struct iopmem_hold - a window's pages and BAR, kept after unbind.
 * @idev: the device (a reference); its @pgmap is the pagemap held.
 * @region: the BAR's reservation, a child of the BAR's resource.
 * @outer: the range reserved again at the top level once the PCI core
 *         dropped the BAR's resource (hot-unplug); NULL before.
 * @next: the first page not yet seen idle (no page gets new references
 *        once the mappings are revoked, so the scan never goes back).
 * @delay: the current polling interval, in jiffies.
 * @work: the poll.
 * @node: in iopmem_holds.
 */
struct iopmem_hold {
	struct iopmem_dev *idev;
	struct resource *region;
	struct resource *outer;
	unsigned long next;
	unsigned long delay;
	struct delayed_work work;
	struct list_head node;
};

static struct workqueue_struct *iopmem_hold_wq;
static LIST_HEAD(iopmem_holds);
static DEFINE_MUTEX(iopmem_holds_lock); /* protects iopmem_holds */
static atomic_t iopmem_nr_holds = ATOMIC_INIT(0);

static bool hold_busy(struct iopmem_hold *h)
{
	h->next = iopmem_pages_first_busy(h->idev, h->next);
	return h->next < iopmem_nr_pages(h->idev);
}

/*
 * The device was removed (hot-unplug): the PCI core released its BAR
 * resource and, with it, our reservation inside it. Take the addresses
 * again, in whatever now contains them, until the pins are gone.
 */
static void hold_guard_range(struct iopmem_hold *h)
{
	struct iopmem_dev *idev = h->idev;
	phys_addr_t end = idev->cpu_addr + idev->bar_size - 1;

	/* No region: guarded already (or tried to be). */
	if (!h->region || device_is_registered(&idev->pdev->dev))
		return;
	pci_lock_rescan_remove();
	/* The BAR's resource left the tree with our region as its child. */
	release_resource(h->region);
	kfree(h->region);
	h->region = NULL;
	h->outer = request_mem_region(idev->cpu_addr, idev->bar_size, "iopmem (pinned)");
	pci_unlock_rescan_remove();
	if (!h->outer)
		pci_warn(idev->pdev, "iopmem: %pa-%pa was reassigned while pages are still pinned\n",
			 &idev->cpu_addr, &end);
}

static void hold_release(struct iopmem_hold *h)
{
	struct iopmem_dev *idev = h->idev;

	mutex_lock(&iopmem_holds_lock);
	list_del(&h->node);
	mutex_unlock(&iopmem_holds_lock);
	memunmap_pages(&idev->pgmap);
	if (h->region || h->outer)
		release_mem_region(idev->cpu_addr, idev->bar_size);
	pci_info(idev->pdev, "iopmem: the pinned pages of BAR %d were released; its pages and addresses are free\n",
		 idev->bar);
	put_device(&idev->dev);
	kfree(h);
	module_put(THIS_MODULE);
	/* Last: module exit waits for this, then for the function to return. */
	if (atomic_dec_and_test(&iopmem_nr_holds))
		wake_up_var(&iopmem_nr_holds);
}

static void hold_poll(struct work_struct *work)
{
	struct iopmem_hold *h = container_of(to_delayed_work(work), struct iopmem_hold, work);

	hold_guard_range(h);
	if (!hold_busy(h)) {
		hold_release(h);
		return;
	}
	h->delay = min_t(unsigned long, h->delay * 2, IOPMEM_HOLD_POLL_MAX);
	queue_delayed_work(iopmem_hold_wq, &h->work, h->delay);
}

/**
 * iopmem_hold_release_pages() - release a zone-device window at unbind.
 * @idev: the device being unbound; its mappings are revoked, its kernel I/O
 *        finished, and @idev->region and @idev->pgmap still held.
 *
 * Unmaps the pages and releases the reservation now if no page is
 * referenced, or soon enough; otherwise hands both to a hold and returns.
 * Either way @idev->region is NULL afterwards.
 */
void iopmem_hold_release_pages(struct iopmem_dev *idev)
{
	struct iopmem_hold *h;

	/* DMA in flight at unbind ends within the grace: freed before unbind returns. */
	if (iopmem_pages_wait_idle(idev, IOPMEM_HOLD_GRACE_MS))
		goto now;
	h = kzalloc(sizeof(*h), GFP_KERNEL);
	if (!h) {
		/* Cannot hand over: wait here, as unbind did before holds. */
		iopmem_pages_wait_idle(idev, 0);
		goto now;
	}
	h->idev = idev;
	h->region = idev->region;
	idev->region = NULL;
	h->delay = IOPMEM_HOLD_POLL_MIN;
	INIT_DELAYED_WORK(&h->work, hold_poll);
	get_device(&idev->dev);
	/* rmmod is refused while a hold lives; module exit waits for it. */
	__module_get(THIS_MODULE);
	atomic_inc(&iopmem_nr_holds);
	mutex_lock(&iopmem_holds_lock);
	list_add(&h->node, &iopmem_holds);
	mutex_unlock(&iopmem_holds_lock);
	pci_warn(idev->pdev, "iopmem: unbound with %lu pages of BAR %d still pinned (vmsplice, RDMA, a driver?): its pages and addresses stay reserved until they are released\n",
		 iopmem_pages_busy(idev), idev->bar);
	/* Now: on hot-unplug it waits for the removal, then guards the range. */
	queue_delayed_work(iopmem_hold_wq, &h->work, 0);
	return;
now:
	memunmap_pages(&idev->pgmap);
}

/**
 * iopmem_hold_covers() - is a BAR's range still held for pinned pages?
 * @start: CPU physical address of the BAR.
 *
 * Return: true when a hold of an earlier binding keeps @start reserved.
 */
bool iopmem_hold_covers(phys_addr_t start)
{
	struct iopmem_hold *h;
	bool found = false;

	mutex_lock(&iopmem_holds_lock);
	list_for_each_entry(h, &iopmem_holds, node)
		found |= h->idev->cpu_addr == start;
	mutex_unlock(&iopmem_holds_lock);
	return found;
}

/**
 * iopmem_hold_init() - set up the holds' workqueue.
 *
 * Return: 0 or -ENOMEM.
 */
int iopmem_hold_init(void)
{
	iopmem_hold_wq = alloc_workqueue("iopmem_hold", WQ_UNBOUND, 0);
	return iopmem_hold_wq ? 0 : -ENOMEM;
}

/**
 * iopmem_hold_exit() - wait for every hold, then free the workqueue.
 *
 * Holds made before module unload keep the module, so only those made by
 * the unload's own unbinds can be left; their pins end with their users.
 */
void iopmem_hold_exit(void)
{
	while (!wait_var_event_timeout(&iopmem_nr_holds, !atomic_read(&iopmem_nr_holds), 10 * HZ))
		pr_info("iopmem: unload waits for pinned pages of %d unbound BARs\n",
			atomic_read(&iopmem_nr_holds));
	/* The last hold's work function may still be returning. */
	destroy_workqueue(iopmem_hold_wq);
}
