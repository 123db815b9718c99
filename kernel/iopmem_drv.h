/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iopmem internals: one struct iopmem_dev per bound BAR.
 *
 * Lifetime: the struct is owned by its embedded struct device. Probe takes
 * the first reference; every open file takes one more. Unbind tears down the
 * BAR's pages (devm, in reverse order of setup) but the struct stays until the
 * last file is closed, so late faults and ioctls see a dead device, not freed
 * memory.
 */
#ifndef IOPMEM_DRV_H
#define IOPMEM_DRV_H

#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/list.h>
#include <linux/memremap.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/uio.h>
#include <linux/xarray.h>

#include <iopmem.h>

#define IOPMEM_MAX_DEVS 256

struct io_uring_cmd;

/**
 * struct iopmem_dev - a PCIe BAR exposed as /dev/iopmemN.
 * @dev: the class device; its refcount owns this struct.
 * @cdev: the character device behind /dev/iopmemN.
 * @pdev: the PCI function owning the BAR (a reference is held).
 * @id: N in iopmemN.
 * @bar: BAR index.
 * @bar_flags: IORESOURCE_* flags of the BAR.
 * @bar_size: size of the whole BAR.
 * @size: bytes exposed through the char device (from BAR offset 0).
 * @cpu_addr: CPU physical address of byte 0.
 * @bus_addr: PCI bus address of byte 0.
 * @base_pfn: pfn of byte 0.
 * @base_refs: refcount of an idle, unmapped page (by page type and kernel).
 * @backend: enum iopmem_backend.
 * @fsdax: the pages are FS-DAX pages (module parameter dax): the DAX disk's,
 *         never mapped through the char device.
 * @memtype: enum iopmem_memtype.
 * @info_flags: IOPMEM_INFO_F_* bits.
 * @region: the BAR's reservation; NULL once released or handed to a hold.
 * @io: the kernel's own mapping of the BAR, with @memtype.
 * @kaddr: the linear map of the BAR's pages (zone-device backend; same
 *         memory type through PAT), what DAX hands to file systems.
 * @pgmap: the ZONE_DEVICE registration (own-zone-device backend); a hold
 *         (iopmem_hold.c) keeps it, and with it this struct, while pages are
 *         pinned after unbind.
 * @faults_user: pages made present by a CPU access from user space.
 * @faults_kernel: pages made present for the kernel (GUP for DMA, copies).
 * @disk: /dev/iopmem-blkN, the BAR as a block device; its last reference
 *        goes with this struct, so the char device may look at it until then.
 * @dax_dev: its DAX device, NULL when the disk has no DAX.
 * @blk_dying: set (under the disk's open_mutex) once unbind has begun: the
 *             disk takes no new opener.
 * @alive: cleared at unbind, read under iopmem_srcu by faults and ioctls.
 * @io_inflight: file I/O requests running on the BAR's pages (taken under
 *               iopmem_srcu while @alive; unbind waits for zero).
 * @reach: file I/O's P2P verdict per client function (xa_mk_value(-errno)),
 *         cached as drivers/pci/p2pdma.c caches its map types.
 * @lock: protects @files.
 * @files: open files, walked at unbind to revoke their mappings.
 */
struct iopmem_dev {
	struct device dev;
	struct cdev cdev;
	struct pci_dev *pdev;
	int id;
	int bar;
	unsigned long bar_flags;
	resource_size_t bar_size;
	resource_size_t size;
	phys_addr_t cpu_addr;
	pci_bus_addr_t bus_addr;
	unsigned long base_pfn;
	int base_refs;
	u32 backend;
	bool fsdax;
	u32 memtype;
	u32 info_flags;
	struct resource *region;
	void __iomem *io;
	void *kaddr;
	struct dev_pagemap pgmap;
	atomic_long_t faults_user;
	atomic_long_t faults_kernel;
	struct gendisk *disk;
	struct dax_device *dax_dev;
	bool blk_dying;
	bool alive;
	atomic_t io_inflight;
	struct xarray reach;
	struct mutex lock; /* protects @files and the set of @alive */
	struct list_head files;
};

static inline unsigned long iopmem_nr_pages(const struct iopmem_dev *idev)
{
	return idev->size >> PAGE_SHIFT;
}

/* iopmem_bar.c */
int iopmem_bar_choose(struct pci_dev *pdev, unsigned long known_bar, int requested,
		      bool allow_registers);
int iopmem_bar_claim(struct iopmem_dev *idev);

/* iopmem_pages.c */
int iopmem_pages_setup(struct iopmem_dev *idev, bool use_p2pdma, bool fsdax,
		       unsigned int share_pct);
unsigned long iopmem_pages_first_busy(const struct iopmem_dev *idev, unsigned long from);
unsigned long iopmem_pages_busy(const struct iopmem_dev *idev);
bool iopmem_pages_wait_idle(const struct iopmem_dev *idev, unsigned int max_ms);
const char *iopmem_backend_name(u32 backend);

/* iopmem_hold.c */
void iopmem_hold_release_pages(struct iopmem_dev *idev);
bool iopmem_hold_covers(phys_addr_t start);
int iopmem_hold_init(void);
void iopmem_hold_exit(void);

/* iopmem_cdev.c */
int iopmem_cdev_init(void);
void iopmem_cdev_exit(void);
struct iopmem_dev *iopmem_dev_create(struct pci_dev *pdev);
int iopmem_cdev_add(struct iopmem_dev *idev);
void iopmem_fill_info(const struct iopmem_dev *idev, struct iopmem_info *info);
void iopmem_cdev_zap(struct iopmem_dev *idev);
bool iopmem_io_get(struct iopmem_dev *idev);
void iopmem_io_put(struct iopmem_dev *idev);

/* iopmem_blk.c */
int iopmem_blk_add(struct iopmem_dev *idev);
bool iopmem_blk_claimed(const struct iopmem_dev *idev);

/**
 * struct iopmem_fio - one direct I/O request between a file and the BAR.
 * @kiocb: on the caller's file; ki_complete set for asynchronous I/O.
 * @iter: over @bv; it lives as long as the request, as async I/O needs.
 * @bv: the BAR's pages of the request.
 * @nr: entries of @bv.
 * @len: bytes of the request.
 * @pos: its offset in the file.
 * @into_bar: the file is read into the BAR (else the BAR is written to it).
 * @write_started: the file system's freeze protection is held.
 */
struct iopmem_fio {
	struct kiocb kiocb;
	struct iov_iter iter;
	struct bio_vec *bv;
	unsigned int nr;
	size_t len;
	loff_t pos;
	bool into_bar;
	bool write_started;
};

/* iopmem_fileio.c */
int iopmem_fio_prepare(struct iopmem_dev *idev, struct file *self,
		       const struct iopmem_file_io *iof, struct iopmem_fio *fio);
void iopmem_fio_arm(struct iopmem_fio *fio);
ssize_t iopmem_fio_submit(struct iopmem_fio *fio);
void iopmem_fio_release(struct iopmem_fio *fio);
int iopmem_file_io(struct iopmem_dev *idev, struct file *self, struct iopmem_file_io *iof);

/* iopmem_uring.c */
int iopmem_uring_cmd(struct io_uring_cmd *cmd, unsigned int issue_flags);

/* iopmem_topo.c */
int iopmem_p2p_verdict(struct iopmem_dev *idev, struct pci_dev *client,
		       struct iopmem_p2p_query *q);
int iopmem_p2p_query(struct iopmem_dev *idev, struct iopmem_p2p_query *q);
const char *iopmem_p2p_path_name(u32 path);

/* iopmem_debugfs.c */
int iopmem_debugfs_add(struct iopmem_dev *idev);
void iopmem_debugfs_init(void);
void iopmem_debugfs_exit(void);

/* iopmem_sysfs.c */
extern const struct attribute_group *iopmem_dev_groups[];
const char *iopmem_memtype_name(u32 memtype);

#endif /* IOPMEM_DRV_H */
