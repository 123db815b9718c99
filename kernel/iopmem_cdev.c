// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/iopmemN: a char device whose shared mappings are the BAR's pages.
 *
 * Modelled on device-dax (drivers/dax/device.c): private mappings are
 * refused, pages are inserted at fault time (as refcounted pages where the
 * kernel has them, else as devmap PTEs: compat.h), so GUP finds the
 * ZONE_DEVICE pages and O_DIRECT/io_uring can DMA into them, and on unbind
 * the device is killed under SRCU and every mapping is zapped through the
 * device node's address_space, so a later touch raises SIGBUS instead of
 * reaching a BAR that may have been reassigned.
 *
 * VM_IO/VM_PFNMAP are deliberately not set: GUP refuses such VMAs, and O_DIRECT
 * into a page the CPU never touched would fail with EFAULT.
 *
 * The same bytes are /dev/iopmem-blkN. While a file system (or any exclusive
 * opener) claims that disk, the char node does not write them: writable
 * opens and mappings are refused with EBUSY, writable mappings made before
 * are zapped when the claim starts and any fault in them raises SIGBUS until
 * it ends; read-only access goes on.
 */
#include <linux/blkdev.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/srcu.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "iopmem_drv.h"

DEFINE_STATIC_SRCU(iopmem_srcu);
static DEFINE_IDA(iopmem_ida);
static dev_t iopmem_devt;

static struct class iopmem_class = {
	.name = "iopmem",
	.dev_groups = iopmem_dev_groups,
};

/* One per open file, so unbind can find every address_space to zap. */
struct iopmem_file {
	struct list_head node;
	struct file *file;
};

static bool iopmem_alive(const struct iopmem_dev *idev)
{
	return READ_ONCE(idev->alive);
}

/*
 * Who made the page present tells how the BAR is being used. The CPU's own
 * page-fault path, for a user instruction or for the kernel copying to or
 * from user memory (read()/write() into the mapping: a bounce through the
 * CPU all the same), always asks for an interruptible fault
 * (FAULT_FLAG_DEFAULT). get_user_pages(), which maps the page before a
 * device DMAs to it, does not (only callers passing FOLL_INTERRUPTIBLE, such
 * as KVM, do). A fault that loses a race with another thread for the same
 * page counts too, as the kernel's own minor-fault counters do.
 */
static void iopmem_count_fault(struct iopmem_dev *idev, unsigned int flags)
{
	if (flags & (FAULT_FLAG_USER | FAULT_FLAG_INTERRUPTIBLE))
		atomic_long_inc(&idev->faults_user);
	else
		atomic_long_inc(&idev->faults_kernel);
}

/*
 * A writable mapping while the disk is claimed: no page, not even for
 * reading (the PTE would be writable).
 */
static bool iopmem_write_blocked(const struct iopmem_dev *idev, const struct vm_area_struct *vma)
{
	return (vma->vm_flags & VM_WRITE) && iopmem_blk_claimed(idev);
}

static vm_fault_t iopmem_fault(struct vm_fault *vmf)
{
	struct iopmem_dev *idev = vmf->vma->vm_file->private_data;
	vm_fault_t ret = VM_FAULT_SIGBUS;
	int idx;

	idx = srcu_read_lock(&iopmem_srcu);
	if (iopmem_alive(idev) && vmf->pgoff < iopmem_nr_pages(idev) &&
	    !iopmem_write_blocked(idev, vmf->vma)) {
		ret = iopmem_insert_page(vmf, idev->base_pfn + vmf->pgoff);
		if (ret == VM_FAULT_NOPAGE)
			iopmem_count_fault(idev, vmf->flags);
	}
	srcu_read_unlock(&iopmem_srcu, idx);
	return ret;
}

#ifdef IOPMEM_WRITE_NOTIFY
/*
 * A write to a page mapped read-only. Asking for this notice makes the
 * mapping one that needs dirty tracking, and GUP (from 6.5 on) refuses
 * long-term writable pins of such mappings: io_uring registered buffers,
 * RDMA and VFIO cannot hold the BAR's pages for ever and stall unbind. (The
 * refcounted-page model needs no notice: the kernels that use it refuse
 * long-term pins of P2PDMA and FS-DAX pages themselves.) The write is let
 * through unless the device is gone or its disk is claimed.
 */
static vm_fault_t iopmem_pfn_mkwrite(struct vm_fault *vmf)
{
	struct iopmem_dev *idev = vmf->vma->vm_file->private_data;
	vm_fault_t ret = VM_FAULT_SIGBUS;
	int idx;

	idx = srcu_read_lock(&iopmem_srcu);
	if (iopmem_alive(idev) && !iopmem_write_blocked(idev, vmf->vma))
		ret = 0;
	srcu_read_unlock(&iopmem_srcu, idx);
	return ret;
}
#endif

static const struct vm_operations_struct iopmem_vm_ops = {
	.fault = iopmem_fault,
#ifdef IOPMEM_WRITE_NOTIFY
	.pfn_mkwrite = iopmem_pfn_mkwrite,
#endif
};

/*
 * The memory type chosen for the BAR, and never the memory-encryption bit:
 * with SME or in an SEV guest, user PTEs get the C-bit by default, and CPU
 * accesses to the BAR would go out encrypted (io_remap_pfn_range() and TTM
 * clear it the same way).
 */
static pgprot_t iopmem_pgprot(const struct iopmem_dev *idev, pgprot_t prot)
{
	prot = pgprot_decrypted(prot);
	return idev->memtype == IOPMEM_MEMTYPE_WC ? pgprot_writecombine(prot)
						  : pgprot_noncached(prot);
}

static int iopmem_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct iopmem_dev *idev = file->private_data;
	unsigned long pages = vma_pages(vma);
	unsigned long total = iopmem_nr_pages(idev);
	int idx, ret = 0;

	/*
	 * A private mapping would give the process copy-on-write RAM pages in
	 * place of BAR pages the moment it writes: never what the user meant.
	 */
	if (!(vma->vm_flags & VM_MAYSHARE)) {
		dev_info_ratelimited(&idev->dev, "%s: private mapping refused; use MAP_SHARED\n",
				     current->comm);
		return -EINVAL;
	}
	if (vma->vm_pgoff >= total || pages > total - vma->vm_pgoff)
		return -ENXIO;
	if (idev->fsdax) {
		dev_info_ratelimited(&idev->dev, "%s: mapping refused: the BAR is the DAX disk /dev/%s (dax=1); map files of its file system instead\n",
				     current->comm, idev->disk->disk_name);
		return -EBUSY;
	}

	idx = srcu_read_lock(&iopmem_srcu);
	if (!iopmem_alive(idev)) {
		ret = -ENODEV;
	} else if (iopmem_write_blocked(idev, vma)) {
		dev_info_ratelimited(&idev->dev, "%s: writable mapping refused: /dev/%s is in use (mounted?)\n",
				     current->comm, idev->disk->disk_name);
		ret = -EBUSY;
	} else {
		/* VM_DONTEXPAND: mremap() must not grow a mapping past the BAR. */
		vm_flags_set(vma, VM_MIXEDMAP | VM_DONTEXPAND | VM_DONTDUMP);
		vma->vm_page_prot = iopmem_pgprot(idev, vma->vm_page_prot);
		vma->vm_ops = &iopmem_vm_ops;
	}
	srcu_read_unlock(&iopmem_srcu, idx);
	return ret;
}

/**
 * iopmem_fill_info() - describe a device in the ABI's terms.
 * @idev: the device.
 * @info: filled in completely (reserved fields zeroed).
 */
void iopmem_fill_info(const struct iopmem_dev *idev, struct iopmem_info *info)
{
	memset(info, 0, sizeof(*info));
	info->abi_version = IOPMEM_ABI_VERSION;
	info->flags = idev->info_flags;
#ifdef IOPMEM_URING_CMD
	info->flags |= IOPMEM_INFO_F_URING_CMD;
#endif
	info->pci_domain = pci_domain_nr(idev->pdev->bus);
	info->pci_bus = idev->pdev->bus->number;
	info->pci_dev = PCI_SLOT(idev->pdev->devfn);
	info->pci_fn = PCI_FUNC(idev->pdev->devfn);
	info->bar = idev->bar;
	info->backend = idev->backend;
	info->memtype = idev->memtype;
	info->size = idev->size;
	info->bar_size = idev->bar_size;
	info->cpu_addr = idev->cpu_addr;
	info->bus_addr = idev->bus_addr;
}

/* An ioctl's argument in kernel memory: user memory is touched outside iopmem_srcu only. */
union iopmem_ioc_arg {
	struct iopmem_info info;
	struct iopmem_p2p_query q;
	struct iopmem_file_io io;
};

/*
 * File I/O runs as long as the device behind the file takes, too long to
 * hold iopmem_srcu (shared by every device's unbind). It counts itself in
 * instead, under SRCU while the device is alive; unbind waits for the count
 * after its synchronize_srcu(), so it sees every request that got in.
 */
bool iopmem_io_get(struct iopmem_dev *idev)
{
	bool ok;
	int idx;

	idx = srcu_read_lock(&iopmem_srcu);
	ok = iopmem_alive(idev);
	if (ok)
		atomic_inc(&idev->io_inflight);
	srcu_read_unlock(&iopmem_srcu, idx);
	return ok;
}

/* Also called from I/O completion, possibly in interrupt context. */
void iopmem_io_put(struct iopmem_dev *idev)
{
	if (atomic_dec_and_test(&idev->io_inflight))
		wake_up_var(&idev->io_inflight);
}

static void iopmem_io_wait(struct iopmem_dev *idev)
{
	while (!wait_var_event_timeout(&idev->io_inflight, !atomic_read(&idev->io_inflight),
				       5 * HZ))
		pci_info(idev->pdev, "iopmem: waiting for %d file I/O requests to finish\n",
			 atomic_read(&idev->io_inflight));
}

static long iopmem_ioctl_file_io(struct iopmem_dev *idev, struct file *file,
				 struct iopmem_file_io *iof)
{
	long ret;

	if (!iopmem_io_get(idev))
		return -ENODEV;
	ret = iopmem_file_io(idev, file, iof);
	iopmem_io_put(idev);
	return ret;
}

/* Under iopmem_srcu, the device alive: answer from and into kernel memory. */
static long iopmem_ioctl_answer(struct iopmem_dev *idev, unsigned int cmd, union iopmem_ioc_arg *a)
{
	if (cmd == IOPMEM_IOC_P2P)
		return iopmem_p2p_query(idev, &a->q);
	iopmem_fill_info(idev, &a->info);
	return 0;
}

/*
 * A user buffer may fault into anything (a FUSE file's mapping, userfaultfd):
 * copied under iopmem_srcu, it could hold off synchronize_srcu() and with it
 * the unbind of every iopmem device for as long as its owner likes. So the
 * argument is copied in before and out after the read-side section.
 */
static long iopmem_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct iopmem_dev *idev = file->private_data;
	void __user *uarg = (void __user *)arg;
	union iopmem_ioc_arg a;
	size_t size;
	long ret;
	int idx;

	if (cmd == IOPMEM_IOC_INFO)
		size = sizeof(a.info);
	else if (cmd == IOPMEM_IOC_P2P)
		size = sizeof(a.q);
	else if (cmd == IOPMEM_IOC_FILE_IO)
		size = sizeof(a.io);
	else
		return -ENOTTY;
	if (cmd != IOPMEM_IOC_INFO && copy_from_user(&a, uarg, size))
		return -EFAULT;
	if (cmd == IOPMEM_IOC_FILE_IO) {
		ret = iopmem_ioctl_file_io(idev, file, &a.io);
		if (!ret && copy_to_user(uarg, &a.io, size))
			return -EFAULT;
		return ret;
	}
	idx = srcu_read_lock(&iopmem_srcu);
	ret = iopmem_alive(idev) ? iopmem_ioctl_answer(idev, cmd, &a) : -ENODEV;
	srcu_read_unlock(&iopmem_srcu, idx);
	/* A P2P verdict is copied out with EREMOTEIO too: it says why. */
	if ((!ret || (cmd == IOPMEM_IOC_P2P && ret == -EREMOTEIO)) && copy_to_user(uarg, &a, size))
		return -EFAULT;
	return ret;
}

static int iopmem_open(struct inode *inode, struct file *file)
{
	struct iopmem_dev *idev = container_of(inode->i_cdev, struct iopmem_dev, cdev);
	struct iopmem_file *f;
	int ret = 0;

	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	f->file = file;

	mutex_lock(&idev->lock);
	if ((file->f_mode & FMODE_WRITE) && iopmem_blk_claimed(idev)) {
		dev_info_ratelimited(&idev->dev, "%s: opening for writing refused: /dev/%s is in use (mounted?)\n",
				     current->comm, idev->disk->disk_name);
		ret = -EBUSY;
	} else if (iopmem_alive(idev)) {
		list_add(&f->node, &idev->files);
		get_device(&idev->dev);
		file->private_data = idev;
	} else {
		ret = -ENODEV;
	}
	mutex_unlock(&idev->lock);
	if (ret)
		kfree(f);
	return ret;
}

static int iopmem_release(struct inode *inode, struct file *file)
{
	struct iopmem_dev *idev = file->private_data;
	struct iopmem_file *f, *found = NULL;

	mutex_lock(&idev->lock);
	list_for_each_entry(f, &idev->files, node) {
		if (f->file == file) {
			found = f;
			list_del(&f->node);
			break;
		}
	}
	mutex_unlock(&idev->lock);
	kfree(found);
	put_device(&idev->dev);
	return 0;
}

static const struct file_operations iopmem_fops = {
	.owner = THIS_MODULE,
	.open = iopmem_open,
	.release = iopmem_release,
	.mmap = iopmem_mmap,
	.unlocked_ioctl = iopmem_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
#ifdef IOPMEM_URING_CMD
	.uring_cmd = iopmem_uring_cmd,
#endif
	.llseek = noop_llseek,
};

static void iopmem_dev_release(struct device *dev)
{
	struct iopmem_dev *idev = container_of(dev, struct iopmem_dev, dev);

	if (idev->disk)
		put_disk(idev->disk);
	xa_destroy(&idev->reach);
	ida_free(&iopmem_ida, idev->id);
	pci_dev_put(idev->pdev);
	kfree(idev);
}

static void iopmem_dev_put(void *data)
{
	struct iopmem_dev *idev = data;

	put_device(&idev->dev);
}

/**
 * iopmem_dev_create() - allocate the device for a PCI function being probed.
 * @pdev: the PCI function.
 *
 * The reference the caller gets is dropped at unbind (device-managed); open
 * files hold their own.
 *
 * Return: the device or an ERR_PTR.
 */
struct iopmem_dev *iopmem_dev_create(struct pci_dev *pdev)
{
	struct iopmem_dev *idev;
	int id, ret;

	idev = kzalloc(sizeof(*idev), GFP_KERNEL);
	if (!idev)
		return ERR_PTR(-ENOMEM);
	id = ida_alloc_max(&iopmem_ida, IOPMEM_MAX_DEVS - 1, GFP_KERNEL);
	if (id < 0) {
		kfree(idev);
		return ERR_PTR(id);
	}
	idev->id = id;
	idev->pdev = pci_dev_get(pdev);
	mutex_init(&idev->lock);
	INIT_LIST_HEAD(&idev->files);
	xa_init(&idev->reach);

	device_initialize(&idev->dev);
	idev->dev.class = &iopmem_class;
	idev->dev.parent = &pdev->dev;
	idev->dev.devt = MKDEV(MAJOR(iopmem_devt), id);
	idev->dev.release = iopmem_dev_release;
	ret = dev_set_name(&idev->dev, "iopmem%d", id);
	if (!ret)
		ret = devm_add_action(&pdev->dev, iopmem_dev_put, idev);
	if (ret) {
		put_device(&idev->dev);
		return ERR_PTR(ret);
	}
	return idev;
}

/**
 * iopmem_cdev_zap() - remove every PTE of every mapping of /dev/iopmemN.
 * @idev: the device.
 *
 * Mappings stay; their next access faults, and the fault handler decides
 * again whether it may be served.
 */
void iopmem_cdev_zap(struct iopmem_dev *idev)
{
	struct iopmem_file *f;

	mutex_lock(&idev->lock);
	list_for_each_entry(f, &idev->files, node)
		unmap_mapping_range(f->file->f_mapping, 0, 0, 1);
	mutex_unlock(&idev->lock);
}

/* Stop all CPU access: new faults SIGBUS, existing PTEs are zapped. */
static void iopmem_revoke(struct iopmem_dev *idev)
{
	mutex_lock(&idev->lock);
	WRITE_ONCE(idev->alive, false);
	mutex_unlock(&idev->lock);
	/* After this no fault can still be inserting a PTE. */
	synchronize_srcu(&iopmem_srcu);
	iopmem_cdev_zap(idev);
}

static void iopmem_cdev_remove(void *data)
{
	struct iopmem_dev *idev = data;

	cdev_device_del(&idev->cdev, &idev->dev);
	iopmem_revoke(idev);
	iopmem_io_wait(idev);
	/*
	 * The kernel gives P2PDMA pages to DMA users only: their pins end with
	 * the DMA. Zone-device pages may be pinned without bound (vmsplice):
	 * their release does not wait here (iopmem_hold_release_pages()).
	 */
	if (idev->backend == IOPMEM_BACKEND_P2PDMA)
		iopmem_pages_wait_idle(idev, 0);
}

/**
 * iopmem_cdev_add() - make a fully set-up device visible as /dev/iopmemN.
 * @idev: device with its BAR claimed and pages set up.
 *
 * Registered last, so at unbind it is undone first: the node disappears,
 * mappings are revoked and kernel file I/O drained before the pages (which
 * then wait for, or hand over, their pins) and the BAR are released.
 *
 * Return: 0 or a negative errno.
 */
int iopmem_cdev_add(struct iopmem_dev *idev)
{
	int ret;

	cdev_init(&idev->cdev, &iopmem_fops);
	idev->cdev.owner = THIS_MODULE;
	idev->alive = true;
	ret = cdev_device_add(&idev->cdev, &idev->dev);
	if (ret) {
		idev->alive = false;
		return ret;
	}
	return devm_add_action_or_reset(&idev->pdev->dev, iopmem_cdev_remove, idev);
}

/**
 * iopmem_cdev_init() - register the iopmem class and char device region.
 *
 * Return: 0 or a negative errno.
 */
int iopmem_cdev_init(void)
{
	int ret;

	ret = alloc_chrdev_region(&iopmem_devt, 0, IOPMEM_MAX_DEVS, "iopmem");
	if (ret)
		return ret;
	ret = class_register(&iopmem_class);
	if (ret)
		unregister_chrdev_region(iopmem_devt, IOPMEM_MAX_DEVS);
	return ret;
}

/**
 * iopmem_cdev_exit() - undo iopmem_cdev_init().
 */
void iopmem_cdev_exit(void)
{
	class_unregister(&iopmem_class);
	unregister_chrdev_region(iopmem_devt, IOPMEM_MAX_DEVS);
	ida_destroy(&iopmem_ida);
}
