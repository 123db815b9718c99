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

/*
 * How faults of /dev/iopmemN map the BAR's pages, chosen by what the kernel
 * offers (conftest), newest model first:
 *
 *  - refcounted pages (vmf_insert_page_mkwrite(), 6.15+; the only model from
 *    6.17 on, where pfn_t and devmap PTEs are gone): each PTE holds a page
 *    reference and a mapcount, as fs/dax and p2pmem_alloc_mmap() map them.
 *    It must be this model from 6.15 on even where pfn_t still exists:
 *    FS-DAX and P2PDMA pages idle at refcount 0 there, and GUP through a
 *    devmap PTE to such a page WARNs and fails.
 *  - devmap PTEs (pfn_t, vmf_insert_mixed() with PFN_DEV|PFN_MAP; 6.1 to
 *    6.14): the PTE holds no reference, GUP finds the dev_pagemap itself.
 *
 * Either way GUP (O_DIRECT, io_uring) gets the BAR's struct pages. A kernel
 * with neither is one iopmem cannot serve: the build stops here.
 */
#if defined(IOPMEM_HAVE_VMF_INSERT_PAGE_MKWRITE)
#define IOPMEM_MAP_PAGES 1
static inline vm_fault_t iopmem_insert_page(struct vm_fault *vmf, unsigned long pfn)
{
	return vmf_insert_page_mkwrite(vmf, pfn_to_page(pfn), vmf->flags & FAULT_FLAG_WRITE);
}

/*
 * References to @page beyond its idle count @idle and its mappings: pins
 * (GUP for DMA, vmsplice). Each PTE holds one reference of its own here.
 */
static inline int iopmem_page_pins(struct page *page, int idle)
{
	struct folio *folio = page_folio(page);

	return folio_ref_count(folio) - idle - folio_mapcount(folio);
}
#elif defined(IOPMEM_HAVE_PFN_T)
#include <linux/pfn_t.h>
/*
 * The mapping asks for write notification (iopmem_pfn_mkwrite()), so the PTE
 * is read-only at first and a write takes a second, write-protect fault.
 * (vmf_insert_mixed_mkwrite() would save it, but it is not exported.)
 */
static inline vm_fault_t iopmem_insert_page(struct vm_fault *vmf, unsigned long pfn)
{
	return vmf_insert_mixed(vmf->vma, vmf->address, __pfn_to_pfn_t(pfn, PFN_DEV | PFN_MAP));
}

/* Devmap PTEs: write notification is what refuses long-term pins (below). */
#define IOPMEM_WRITE_NOTIFY 1

/* Devmap PTEs hold no reference: anything above idle is a pin. */
static inline int iopmem_page_pins(struct page *page, int idle)
{
	return page_ref_count(page) - idle;
}
#else
#error "iopmem: no vmf_insert_page_mkwrite(), no devmap PTEs: cannot map BAR pages for GUP"
#endif

/*
 * The pfn that dax_operations.direct_access hands back, and its type: a
 * plain pfn from 6.17 on, a pfn_t before.
 */
#ifdef IOPMEM_HAVE_DAX_PFN_UL
#define IOPMEM_DAX_PFN_T unsigned long
#define iopmem_dax_pfn(phys) PHYS_PFN(phys)
#else
#include <linux/pfn_t.h>
#define IOPMEM_DAX_PFN_T pfn_t
#define iopmem_dax_pfn(phys) phys_to_pfn_t((phys), PFN_DEV | PFN_MAP)
#endif

/*
 * Tell the file system holding a DAX device that its memory is about to go
 * (6.8+: XFS with rmapbt registers holder operations; it unmaps every file
 * mapping of the device, signals the processes that had them and shuts
 * down). Return: 0 when a holder answered that it let go; -ENOENT when
 * there is none, -EOPNOTSUPP when the kernel has no such notification, or
 * the holder's error (EOPNOTSUPP: no rmapbt; anything else: it could not
 * drop every mapping, and may have shut down all the same).
 */
static inline int iopmem_dax_pre_remove(struct dax_device *dax_dev)
{
/*
 * Not with refcounted FS-DAX pages (6.15+): there XFS's pre-remove walk
 * spins in dax_lock_mapping_entry() over iopmem's pages (seen on 7.2.13,
 * not understood yet), which would leave unbind spinning for good; waiting
 * for the umount is slow but safe.
 */
#if defined(IOPMEM_HAVE_DAX_PRE_REMOVE) && !defined(IOPMEM_MAP_PAGES)
	if (!dax_dev || !dax_holder(dax_dev))
		return -ENOENT;
	return dax_holder_notify_failure(dax_dev, 0, U64_MAX, MF_MEM_PRE_REMOVE);
#else
	return -EOPNOTSUPP;
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

/*
 * io_uring passthrough commands on /dev/iopmemN (iopmem_uring.c): where the
 * command's payload is, and how a completion is posted.
 */
#if defined(IOPMEM_HAVE_URING_CMD) && IS_ENABLED(CONFIG_IO_URING)
#define IOPMEM_URING_CMD 1
#ifdef IOPMEM_HAVE_URING_CMD_SQE
#include <linux/io_uring/cmd.h>
/* The SQE, or io_uring's copy of it once the command was issued again. */
static inline const void *iopmem_uring_payload(const struct io_uring_cmd *cmd)
{
	return cmd->sqe->cmd;
}
#else
#include <linux/io_uring.h>
static inline const void *iopmem_uring_payload(const struct io_uring_cmd *cmd)
{
	return cmd->cmd;
}
#endif

static inline void iopmem_uring_done(struct io_uring_cmd *cmd, long res, unsigned int issue_flags)
{
#ifdef IOPMEM_HAVE_URING_CMD_DONE3
	io_uring_cmd_done(cmd, res, issue_flags);
#else
	io_uring_cmd_done(cmd, res, 0, issue_flags);
#endif
}
#endif

#endif /* IOPMEM_COMPAT_H */
