/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel API differences between the kernels iopmem supports, keyed on the
 * IOPMEM_HAVE_* results of conftest.sh (never on LINUX_VERSION_CODE: distro
 * kernels backport). Code elsewhere calls these helpers unconditionally.
 */
#ifndef IOPMEM_COMPAT_H
#define IOPMEM_COMPAT_H

#include <linux/blkdev.h>
#include <linux/dax.h>
#include <linux/mm.h>
#include "conftest.h"

#ifndef IOPMEM_HAVE_VM_FLAGS_SET
/* Before 6.3 vma->vm_flags was written directly. */
static inline void vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags |= flags;
}
#endif

#ifdef IOPMEM_HAVE_PFN_T
#include <linux/pfn_t.h>
/*
 * A PFN_DEV|PFN_MAP pfn makes a "devmap" PTE: GUP recognises it, looks up the
 * dev_pagemap and takes page references, which is what lets O_DIRECT and
 * io_uring hand BAR pages to another device's DMA.
 */
static inline vm_fault_t iopmem_insert_devmap_pfn(struct vm_area_struct *vma,
						  unsigned long addr,
						  unsigned long pfn)
{
	return vmf_insert_mixed(vma, addr, __pfn_to_pfn_t(pfn, PFN_DEV | PFN_MAP));
}
#else
#error "iopmem: this kernel has no pfn_t/devmap PTEs; it is not supported yet"
#endif

/*
 * Tell the file system holding a DAX device that its memory is about to go
 * (6.8+: XFS with rmapbt registers holder operations; it unmaps every file
 * mapping of the device, signals the processes that had them and shuts
 * down). Return: true when a holder answered that it let go; false when
 * there is none, it could not (EOPNOTSUPP: no rmapbt), or the kernel has no
 * such notification.
 */
static inline bool iopmem_dax_pre_remove(struct dax_device *dax_dev)
{
#ifdef IOPMEM_HAVE_DAX_PRE_REMOVE
	return dax_dev && dax_holder(dax_dev) &&
	       !dax_holder_notify_failure(dax_dev, 0, U64_MAX, MF_MEM_PRE_REMOVE);
#else
	return false;
#endif
}

/*
 * The parameters of block_device_operations.open, and the disk they name:
 * (disk, blk_mode_t) from 6.5, (block_device, fmode_t) before.
 */
#ifdef IOPMEM_HAVE_BLK_OPEN_GENDISK
#define IOPMEM_BLK_OPEN_PARAMS struct gendisk *disk, blk_mode_t mode
#define IOPMEM_BLK_OPEN_DISK disk
#else
#define IOPMEM_BLK_OPEN_PARAMS struct block_device *bdev, fmode_t mode
#define IOPMEM_BLK_OPEN_DISK (bdev->bd_disk)
#endif

#ifndef IOPMEM_HAVE_BLK_FEAT_DAX
/*
 * Before 6.11 the disk's features were queue flags, set after allocation:
 * a volatile write cache with FUA, not rotational, DAX if asked. (No
 * "synchronous" flag exists there; MAP_SYNC asks the dax_device.)
 */
static inline void iopmem_blk_queue_flags(struct request_queue *q, bool dax)
{
	blk_queue_write_cache(q, true, true);
	blk_queue_flag_set(QUEUE_FLAG_NONROT, q);
	if (dax)
		blk_queue_flag_set(QUEUE_FLAG_DAX, q);
}
#endif

/*
 * A bio-based disk with 512-byte logical and page-sized physical blocks, a
 * volatile write cache with FUA (so flushes reach iopmem and it can order
 * write-combined stores), and DAX if asked. Return: the disk or an ERR_PTR.
 */
static inline struct gendisk *iopmem_blk_alloc_disk(bool dax)
{
#ifdef IOPMEM_HAVE_BLK_ALLOC_DISK_LIM
	struct queue_limits lim = {
		.logical_block_size = SECTOR_SIZE,
		.physical_block_size = PAGE_SIZE,
		.max_hw_sectors = UINT_MAX,
#ifdef IOPMEM_HAVE_BLK_FEAT_DAX
		.features = BLK_FEAT_WRITE_CACHE | BLK_FEAT_FUA | BLK_FEAT_SYNCHRONOUS |
			    (dax ? BLK_FEAT_DAX : 0),
#endif
	};
	struct gendisk *disk = blk_alloc_disk(&lim, NUMA_NO_NODE);

#ifndef IOPMEM_HAVE_BLK_FEAT_DAX
	/* 6.9 and 6.10: limits at allocation, features still queue flags. */
	if (!IS_ERR(disk))
		iopmem_blk_queue_flags(disk->queue, dax);
#endif
	return disk;
#else
	/* Before 6.9: allocate, then set the limits and flags on the queue. */
	struct gendisk *disk = blk_alloc_disk(NUMA_NO_NODE);
	struct request_queue *q;

	if (!disk)
		return ERR_PTR(-ENOMEM);
	q = disk->queue;
	blk_queue_logical_block_size(q, SECTOR_SIZE);
	blk_queue_physical_block_size(q, PAGE_SIZE);
	blk_queue_max_hw_sectors(q, UINT_MAX);
	iopmem_blk_queue_flags(q, dax);
	return disk;
#endif
}

#endif /* IOPMEM_COMPAT_H */
