// SPDX-License-Identifier: GPL-2.0
/*
 * Direct I/O between a file and the BAR, issued by the module
 * (IOPMEM_IOC_FILE_IO): no user mapping, no get_user_pages() per request.
 *
 * The module describes its own pages of the BAR range with a bvec iov_iter
 * and asks the caller's file for direct I/O on it, as the kernel's own users
 * of direct I/O on files do (loop, nvmet's file backend). The block layer
 * takes bvec pages as they are: no page lookups, no references, no pins.
 *
 * What the mmap path gets from GUP has to be checked here instead: the
 * directions the caller opened both files for, the bounds of the BAR, the
 * DIO alignment, and whether the device behind the file can reach the BAR
 * (the kernel's P2P rules, and for p2pdma pages a queue that opted in to
 * them). Refusals come before any byte moves.
 */
#include <linux/blkdev.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uio.h>

#include "compat.h"
#include "iopmem_drv.h"

/* Per request: 4096 pages, a 64 KiB bvec array. Callers split larger copies. */
#define IOPMEM_FILE_IO_MAX (16U << 20)

/* The block device a file's direct I/O ends up on, or NULL (no single one). */
static struct block_device *iopmem_file_bdev(struct file *file)
{
	struct inode *inode = file_inode(file);

	if (S_ISBLK(inode->i_mode))
		return I_BDEV(file->f_mapping->host);
	if (S_ISREG(inode->i_mode))
		return inode->i_sb->s_bdev;
	return NULL;
}

/* The PCI function that does a disk's DMA: the first one above it. */
static struct pci_dev *iopmem_bdev_pci(struct block_device *bdev)
{
	struct device *d;

	for (d = disk_to_dev(bdev->bd_disk); d; d = d->parent)
		if (dev_is_pci(d))
			return to_pci_dev(d);
	return NULL;
}

/*
 * The P2P verdict for @client: the same as IOPMEM_IOC_P2P (the kernel's
 * p2pdma rules where it has them, iopmem's copy of them elsewhere). It walks
 * the topology and reads bridges' ACS capabilities, too slow to repeat for
 * every request, so it is kept per client as the kernel's p2pdma keeps its
 * map types for a provider's lifetime (neither sees a later ACS change); a
 * device that goes away and comes back is a new binding, with a new cache.
 */
static int iopmem_client_reaches(struct iopmem_dev *idev, struct pci_dev *client)
{
	unsigned long idx = (unsigned long)pci_domain_nr(client->bus) << 16 | pci_dev_id(client);
	struct iopmem_p2p_query q = {};
	void *v = xa_load(&idev->reach, idx);
	int ret;

	if (v)
		return -(int)xa_to_value(v);
	ret = iopmem_p2p_verdict(idev, client, &q);
	/* Not cached when out of memory: asked again next time. */
	xa_store(&idev->reach, idx, xa_mk_value(-ret), GFP_KERNEL);
	return ret;
}

/*
 * Can the device behind @bdev DMA to this BAR? Its verdict, and for p2pdma
 * pages a queue that takes them: a driver that never opted in would hand
 * them to the DMA API as RAM.
 */
static int iopmem_file_reaches(struct iopmem_dev *idev, struct block_device *bdev)
{
	struct pci_dev *client = iopmem_bdev_pci(bdev);

	if (!client)
		return -EOPNOTSUPP;
	if (idev->backend == IOPMEM_BACKEND_P2PDMA && !blk_queue_pci_p2pdma(bdev_get_queue(bdev)))
		return -EREMOTEIO;
	return iopmem_client_reaches(idev, client);
}

/*
 * Everything that can be refused before I/O, in the order a caller would
 * want to hear it. @iof->op says which file is written.
 */
static int iopmem_file_io_check(struct iopmem_dev *idev, struct file *self,
				const struct iopmem_file_io *iof, struct file *file)
{
	bool into_bar = iof->op == IOPMEM_FILE_READ;
	struct block_device *bdev;
	unsigned int align;

	if (!(file->f_mode & (into_bar ? FMODE_READ : FMODE_WRITE)) ||
	    !(self->f_mode & (into_bar ? FMODE_WRITE : FMODE_READ)))
		return -EBADF;
	if (!(file->f_mode & FMODE_CAN_ODIRECT))
		return -EOPNOTSUPP;
	if (!iof->len || iof->len > IOPMEM_FILE_IO_MAX || iof->bar_offset >= idev->size ||
	    iof->len > idev->size - iof->bar_offset)
		return -EINVAL;
	if (idev->fsdax || (into_bar && iopmem_blk_claimed(idev)))
		return -EBUSY;
	bdev = iopmem_file_bdev(file);
	if (!bdev)
		return -EOPNOTSUPP;
	align = bdev_logical_block_size(bdev);
	if ((iof->file_offset | iof->bar_offset | iof->len) & (align - 1))
		return -EINVAL;
	return iopmem_file_reaches(idev, bdev);
}

/* One bvec per page of BAR [@off, @off + @len): the module's own pages. */
static struct bio_vec *iopmem_bar_bvecs(struct iopmem_dev *idev, u64 off, u64 len,
					unsigned int *nr)
{
	unsigned long first = off >> PAGE_SHIFT;
	unsigned int i, n = DIV_ROUND_UP(offset_in_page(off) + len, PAGE_SIZE);
	struct bio_vec *bv = kvmalloc_array(n, sizeof(*bv), GFP_KERNEL);
	size_t head = offset_in_page(off);

	if (!bv)
		return NULL;
	for (i = 0; i < n; i++) {
		size_t chunk = min_t(u64, PAGE_SIZE - head, len);

		bvec_set_page(&bv[i], pfn_to_page(idev->base_pfn + first + i), chunk, head);
		len -= chunk;
		head = 0;
	}
	*nr = n;
	return bv;
}

static bool iopmem_file_io_valid(const struct iopmem_file_io *iof)
{
	return (iof->op == IOPMEM_FILE_READ || iof->op == IOPMEM_FILE_WRITE) && !iof->flags &&
	       !iof->reserved0 && !iof->done && !iof->reserved[0] && !iof->reserved[1] &&
	       !iof->reserved[2];
}

/**
 * iopmem_fio_prepare() - check a request and describe its BAR range.
 * @idev: the BAR's device, with an I/O reference held (iopmem_io_get()).
 * @self: the caller's open file of /dev/iopmemN (its mode gates the BAR side).
 * @iof: the request, in kernel memory.
 * @fio: filled in; on success it holds a reference to the file and the
 *       bvec array until iopmem_fio_release().
 *
 * Return: 0, or a negative errno (see iopmem_file_io()); nothing to release then.
 */
int iopmem_fio_prepare(struct iopmem_dev *idev, struct file *self,
		       const struct iopmem_file_io *iof, struct iopmem_fio *fio)
{
	struct file *file;
	unsigned int nr;
	int ret;

	if (!iopmem_file_io_valid(iof))
		return -EINVAL;
	file = fget(iof->fd);
	if (!file)
		return -EBADF;
	ret = iopmem_file_io_check(idev, self, iof, file);
	if (ret)
		goto fail;
	fio->bv = iopmem_bar_bvecs(idev, iof->bar_offset, iof->len, &nr);
	if (!fio->bv) {
		ret = -ENOMEM;
		goto fail;
	}
	fio->nr = nr;
	fio->len = iof->len;
	fio->pos = iof->file_offset;
	fio->into_bar = iof->op == IOPMEM_FILE_READ;
	fio->write_started = false;
	init_sync_kiocb(&fio->kiocb, file);
	fio->kiocb.ki_flags |= IOCB_DIRECT;
	iopmem_fio_arm(fio);
	return 0;
fail:
	fput(file);
	return ret;
}

/**
 * iopmem_fio_arm() - (re)set a prepared request's iterator and file position.
 * @fio: prepared; not in flight.
 *
 * Submission consumes the iterator: a request issued again is re-armed first.
 */
void iopmem_fio_arm(struct iopmem_fio *fio)
{
	iov_iter_bvec(&fio->iter, fio->into_bar ? ITER_DEST : ITER_SOURCE, fio->bv, fio->nr,
		      fio->len);
	fio->kiocb.ki_pos = fio->pos;
}

/**
 * iopmem_fio_submit() - issue a prepared request.
 * @fio: from iopmem_fio_prepare(); @fio->kiocb.ki_complete NULL for
 *       synchronous I/O, else the completion to call once the file is done.
 *
 * Writes to a regular file hold its file system's freeze protection until
 * iopmem_fio_release(), handed over to whichever task completes them (as
 * aio and io_uring do).
 *
 * Return: bytes moved, a negative errno, or -EIOCBQUEUED when the
 * completion will be called with the result.
 */
ssize_t iopmem_fio_submit(struct iopmem_fio *fio)
{
	struct file *file = fio->kiocb.ki_filp;

	if (fio->into_bar)
		return vfs_iocb_iter_read(file, &fio->kiocb, &fio->iter);
	if (S_ISREG(file_inode(file)->i_mode) && !fio->write_started) {
		kiocb_start_write(&fio->kiocb);
		fio->write_started = true;
	}
	return vfs_iocb_iter_write(file, &fio->kiocb, &fio->iter);
}

/**
 * iopmem_fio_release() - drop what a prepared request holds.
 * @fio: prepared, and submitted to completion or not submitted at all.
 *
 * Touches neither the BAR nor its device: it may run after unbind.
 */
void iopmem_fio_release(struct iopmem_fio *fio)
{
	if (fio->write_started)
		kiocb_end_write(&fio->kiocb);
	fput(fio->kiocb.ki_filp);
	kvfree(fio->bv);
}

/**
 * iopmem_file_io() - IOPMEM_IOC_FILE_IO: move a range between a file and the BAR.
 * @idev: the BAR's device, with an I/O reference held (iopmem_io_get()).
 * @self: the caller's open file of /dev/iopmemN (its mode gates the BAR side).
 * @iof: the request, in kernel memory; @iof->done is set to the bytes moved.
 *
 * Return: 0 (a short @iof->done only at the end of the file), or a negative
 * errno: EINVAL (malformed, out of bounds, misaligned), EBADF (a file not
 * open for that direction), EOPNOTSUPP (no direct I/O, or no PCI device
 * behind the file), EBUSY (the BAR belongs to a file system now), EREMOTEIO
 * (the device cannot reach the BAR); nothing moved in any of these. Errors of
 * the I/O itself are returned as the file reported them.
 */
int iopmem_file_io(struct iopmem_dev *idev, struct file *self, struct iopmem_file_io *iof)
{
	struct iopmem_fio fio;
	ssize_t ret;

	ret = iopmem_fio_prepare(idev, self, iof, &fio);
	if (ret)
		return ret;
	ret = iopmem_fio_submit(&fio);
	iopmem_fio_release(&fio);
	if (ret < 0)
		return ret;
	iof->done = ret;
	return 0;
}
