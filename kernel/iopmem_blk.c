// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/iopmem-blkN: the BAR as a block device, DAX-capable (the seed's iopmem).
 *
 * Block I/O copies through the kernel's own mapping of the BAR (write-combined
 * for prefetchable BARs, uncached otherwise). Write-combined stores may sit in
 * the CPU's WC buffers, so a flush or FUA write ends with wmb(), which drains
 * them: after it the bytes are in the BAR.
 *
 * With DAX a file system (ext4 -o dax) maps its files straight onto the BAR's
 * pages, so an mmap of such a file is device memory that O_DIRECT on another
 * device can DMA into: files become P2P buffers. That needs the BAR's pages to
 * be FS-DAX pages, which iopmem registers only when loaded with dax=1 (with
 * its own zone-device backend; the char device then maps nothing); otherwise
 * the disk is offered without DAX and says why.
 */
#include <linux/blkdev.h>
#include <linux/dax.h>
#include <linux/delay.h>
#include <linux/highmem.h>
#include <linux/uio.h>

#include "compat.h"
#include "iopmem_drv.h"

static void __iomem *iopmem_blk_addr(struct iopmem_dev *idev, sector_t sector)
{
	return idev->io + ((resource_size_t)sector << SECTOR_SHIFT);
}

static void iopmem_blk_rw(struct iopmem_dev *idev, struct bio *bio)
{
	sector_t sector = bio->bi_iter.bi_sector;
	bool write = op_is_write(bio_op(bio));
	struct bvec_iter iter;
	struct bio_vec bv;

	bio_for_each_segment(bv, bio, iter) {
		void *mem = bvec_kmap_local(&bv);

		if (write)
			memcpy_toio(iopmem_blk_addr(idev, sector), mem, bv.bv_len);
		else
			memcpy_fromio(mem, iopmem_blk_addr(idev, sector), bv.bv_len);
		kunmap_local(mem);
		sector += bv.bv_len >> SECTOR_SHIFT;
	}
}

/*
 * Stores to a write-combined BAR may wait in the CPU's WC buffers; wmb()
 * (sfence on x86) drains them, so every store before it is in the BAR.
 */
static void iopmem_wc_drain(void)
{
	wmb(); /* orders all earlier stores to the BAR before what follows */
}

static void iopmem_submit_bio(struct bio *bio)
{
	struct iopmem_dev *idev = bio->bi_bdev->bd_disk->private_data;

	/* Flush: every write completed before this one is in the BAR. */
	if (bio->bi_opf & REQ_PREFLUSH)
		iopmem_wc_drain();
	switch (bio_op(bio)) {
	case REQ_OP_READ:
	case REQ_OP_WRITE:
		iopmem_blk_rw(idev, bio);
		break;
	case REQ_OP_FLUSH:
		break;
	default:
		bio_io_error(bio);
		return;
	}
	/* FUA: this write's stores are in the BAR before it completes. */
	if (bio->bi_opf & REQ_FUA)
		iopmem_wc_drain();
	bio_endio(bio);
}

/*
 * Called under the disk's open_mutex. Once unbind has begun the disk takes no
 * new opener: a mount slipping in between unbind's wait and del_gendisk()
 * would map files onto a BAR about to be released. An exclusive opener (a
 * mount, mkfs: the disk's claim is being prepared) is about to own the
 * bytes, so the char node's mappings are zapped here: see
 * iopmem_blk_claimed() for what refaults are then allowed.
 */
static int iopmem_blk_open(IOPMEM_BLK_OPEN_PARAMS)
{
	struct gendisk *gd = IOPMEM_BLK_OPEN_DISK;
	struct iopmem_dev *idev = gd->private_data;

	if (idev->blk_dying)
		return -ENXIO;
	if (READ_ONCE(gd->part0->bd_claiming))
		iopmem_cdev_zap(idev);
	return 0;
}

static const struct block_device_operations iopmem_blk_fops = {
	.owner = THIS_MODULE,
	.open = iopmem_blk_open,
	.submit_bio = iopmem_submit_bio,
};

/**
 * iopmem_blk_claimed() - is the block device owned by an exclusive opener?
 * @idev: the device.
 *
 * A mounted file system (or mkfs, or anything opening the disk O_EXCL)
 * claims /dev/iopmem-blkN. Its bytes are the BAR's, and /dev/iopmemN maps
 * the same bytes to another group (iopmem, not disk): while the claim lasts
 * the char node must not write them, or a member of that group could
 * rewrite the file system's metadata or a setuid binary on it.
 *
 * Return: true while claimed (or being claimed).
 */
bool iopmem_blk_claimed(const struct iopmem_dev *idev)
{
	struct block_device *whole = idev->disk ? idev->disk->part0 : NULL;

	return whole && (READ_ONCE(whole->bd_holder) || READ_ONCE(whole->bd_claiming));
}

static long iopmem_dax_direct_access(struct dax_device *dax_dev, pgoff_t pgoff, long nr_pages,
				     enum dax_access_mode mode, void **kaddr,
				     IOPMEM_DAX_PFN_T *pfn)
{
	struct iopmem_dev *idev = dax_get_private(dax_dev);
	resource_size_t off = PFN_PHYS(pgoff);

	if (off >= idev->size)
		return -ERANGE;
	/*
	 * The pages' linear-map address, as virtio_fs and pmem hand out (not
	 * the __iomem cookie of @io): file systems copy to and from it with
	 * ordinary kernel copies. PAT gave it the BAR's memory type.
	 */
	if (kaddr)
		*kaddr = idev->kaddr + off;
	if (pfn)
		*pfn = iopmem_dax_pfn(idev->cpu_addr + off);
	return PHYS_PFN(idev->size - off);
}

static int iopmem_dax_zero_page_range(struct dax_device *dax_dev, pgoff_t pgoff, size_t nr_pages)
{
	struct iopmem_dev *idev = dax_get_private(dax_dev);

	memset_io(idev->io + PFN_PHYS(pgoff), 0, nr_pages << PAGE_SHIFT);
	iopmem_wc_drain();
	return 0;
}

/* A BAR has no poison to clear: a recovery write is a plain write. */
static size_t iopmem_dax_recovery_write(struct dax_device *dax_dev, pgoff_t pgoff, void *addr,
					size_t bytes, struct iov_iter *iter)
{
	return _copy_from_iter(addr, bytes, iter);
}

static const struct dax_operations iopmem_dax_ops = {
	.direct_access = iopmem_dax_direct_access,
	.zero_page_range = iopmem_dax_zero_page_range,
	.recovery_write = iopmem_dax_recovery_write,
};

/* Why this disk cannot do DAX, or NULL when it can. */
static const char *iopmem_blk_no_dax(const struct iopmem_dev *idev)
{
	if (!IS_ENABLED(CONFIG_FS_DAX))
		return "the kernel is built without CONFIG_FS_DAX";
	if (!idev->fsdax)
		return "its pages are /dev/iopmemN's (load iopmem with dax=1 for a DAX disk)";
	return NULL;
}

/* Undo iopmem_blk_dax(), if it was done. */
static void iopmem_blk_dax_del(struct iopmem_dev *idev)
{
	if (!idev->dax_dev)
		return;
	dax_remove_host(idev->disk);
	kill_dax(idev->dax_dev);
	put_dax(idev->dax_dev);
	idev->dax_dev = NULL;
}

/*
 * A DAX file system maps its files straight onto the BAR's pages, through
 * PTEs the char device cannot find and revoke. Freeing the BAR under them
 * would leave user space writing to whatever the address is given to next.
 * Where the kernel can tell the file system to drop them (6.8+, a holder
 * such as XFS with rmapbt) and it does, there is nothing to wait for.
 * Otherwise (ext4, 6.1) unbind waits until the disk is closed (the file
 * system unmounted), as it waits for pinned pages, and says what it waits
 * for; until then the BAR stays claimed and every mapping stays valid.
 */
static void iopmem_blk_wait_closed(struct iopmem_dev *idev)
{
	unsigned int waited_ms = 0;
	int ret;

	if (!idev->dax_dev)
		return;
	ret = iopmem_dax_pre_remove(idev->dax_dev);
	if (!ret) {
		pci_info(idev->pdev, "iopmem: the file system on /dev/%s dropped its DAX mappings (pre-remove): unbind goes on\n",
			 idev->disk->disk_name);
		return;
	}
	/* Mappings it could not drop may remain: only the umount ends them. */
	if (ret != -ENOENT && ret != -EOPNOTSUPP)
		pci_info(idev->pdev, "iopmem: the file system on /dev/%s answered the pre-remove notice with %pe\n",
			 idev->disk->disk_name, ERR_PTR(ret));
	while (disk_openers(idev->disk)) {
		if (waited_ms % 5000 == 0)
			pci_info(idev->pdev,
				 "iopmem: /dev/%s is open (a DAX file system mounted?); unbind waits until it is closed\n",
				 idev->disk->disk_name);
		msleep(20);
		waited_ms += 20;
	}
}

/*
 * The disk's last reference is dropped with the iopmem_dev (the char device
 * may still ask iopmem_blk_claimed() until its last file closes).
 */
static void iopmem_blk_remove(void *data)
{
	struct iopmem_dev *idev = data;

	/* Under open_mutex: an open racing with this sees blk_dying, or is counted. */
	mutex_lock(&idev->disk->open_mutex);
	idev->blk_dying = true;
	mutex_unlock(&idev->disk->open_mutex);
	iopmem_blk_wait_closed(idev);
	del_gendisk(idev->disk);
	iopmem_blk_dax_del(idev);
}

static int iopmem_blk_dax(struct iopmem_dev *idev)
{
	struct dax_device *dax_dev = alloc_dax(idev, &iopmem_dax_ops);
	int ret;

	if (IS_ERR(dax_dev))
		return PTR_ERR(dax_dev);
	/*
	 * Not write-back memory: nothing for dax_flush() to write back, and a
	 * store is in the BAR once the WC buffers drain, so MAP_SYNC mappings
	 * (which need no flush from user space) are honest.
	 */
	dax_write_cache(dax_dev, false);
	set_dax_synchronous(dax_dev);
	ret = dax_add_host(dax_dev, idev->disk);
	if (ret) {
		kill_dax(dax_dev);
		put_dax(dax_dev);
		return ret;
	}
	idev->dax_dev = dax_dev;
	return 0;
}

/**
 * iopmem_blk_add() - offer the BAR as /dev/iopmem-blkN too.
 * @idev: a device whose pages and char device are set up.
 *
 * The disk goes away with the device (devm). Its fops hold the module while
 * it is open, so iopmem cannot be unloaded under a mounted file system.
 *
 * Return: 0 or a negative errno.
 */
int iopmem_blk_add(struct iopmem_dev *idev)
{
	const char *no_dax = iopmem_blk_no_dax(idev);
	struct gendisk *disk;
	int ret;

	disk = iopmem_blk_alloc_disk(!no_dax);
	if (IS_ERR(disk))
		return PTR_ERR(disk);
	disk->fops = &iopmem_blk_fops;
	disk->private_data = idev;
	disk->flags |= GENHD_FL_NO_PART;
	snprintf(disk->disk_name, DISK_NAME_LEN, "iopmem-blk%d", idev->id);
	set_capacity(disk, idev->size >> SECTOR_SHIFT);
	/* From here the disk's last reference goes with idev (iopmem_dev_release()). */
	idev->disk = disk;
	if (!no_dax) {
		ret = iopmem_blk_dax(idev);
		if (ret)
			return ret;
	}
	ret = device_add_disk(&idev->dev, disk, NULL);
	if (ret) {
		iopmem_blk_dax_del(idev);
		return ret;
	}
	if (no_dax)
		dev_info(&idev->dev, "/dev/%s without DAX: %s\n", disk->disk_name, no_dax);
	return devm_add_action_or_reset(&idev->pdev->dev, iopmem_blk_remove, idev);
}
