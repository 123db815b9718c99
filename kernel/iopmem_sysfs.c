// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/class/iopmem/iopmemN/: the facts of IOPMEM_IOC_INFO, one per file, for
 * scripts and for tools that cannot open the device node. Tables live in
 * debugfs (iopmem_debugfs.c).
 */
#include <linux/device.h>
#include <linux/pci.h>
#include <linux/sysfs.h>

#include "iopmem_drv.h"

static struct iopmem_dev *to_iopmem(struct device *dev)
{
	return container_of(dev, struct iopmem_dev, dev);
}

/**
 * iopmem_memtype_name() - user-visible name of a memory type.
 * @memtype: enum iopmem_memtype value.
 *
 * Return: "wc", "uc" or "unknown".
 */
const char *iopmem_memtype_name(u32 memtype)
{
	switch (memtype) {
	case IOPMEM_MEMTYPE_WC:
		return "wc";
	case IOPMEM_MEMTYPE_UC:
		return "uc";
	}
	return "unknown";
}

/*
 * The numeric facts come from iopmem_fill_info(), the same function that
 * answers IOPMEM_IOC_INFO, so sysfs and the ioctl cannot disagree.
 */
#define IOPMEM_INFO_ATTR(field, fmt)						\
static ssize_t field##_show(struct device *dev, struct device_attribute *attr,	\
			    char *buf)						\
{										\
	struct iopmem_info info;						\
										\
	iopmem_fill_info(to_iopmem(dev), &info);				\
	return sysfs_emit(buf, fmt "\n", info.field);				\
}										\
static DEVICE_ATTR_RO(field)

IOPMEM_INFO_ATTR(abi_version, "%u");
IOPMEM_INFO_ATTR(bar, "%u");
IOPMEM_INFO_ATTR(size, "%llu");
IOPMEM_INFO_ATTR(bar_size, "%llu");
IOPMEM_INFO_ATTR(cpu_addr, "%#llx");
IOPMEM_INFO_ATTR(bus_addr, "%#llx");
IOPMEM_INFO_ATTR(flags, "%#x");

static ssize_t backend_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", iopmem_backend_name(to_iopmem(dev)->backend));
}
static DEVICE_ATTR_RO(backend);

static ssize_t memtype_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", iopmem_memtype_name(to_iopmem(dev)->memtype));
}
static DEVICE_ATTR_RO(memtype);

static ssize_t pci_dev_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", pci_name(to_iopmem(dev)->pdev));
}
static DEVICE_ATTR_RO(pci_dev);

/*
 * Pages pinned right now (GUP users such as O_DIRECT in flight). Counting
 * them looks at every page of the BAR: root only, so no user can make the
 * kernel scan millions of pages in a loop.
 */
static ssize_t pages_pinned_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lu\n", iopmem_pages_busy(to_iopmem(dev)));
}
static DEVICE_ATTR_ADMIN_RO(pages_pinned);

/*
 * Cumulative page faults on user mappings, by who took them: a copy that went
 * device to device adds only to faults_kernel (GUP mapping pages for DMA); a
 * bounce through the CPU adds to faults_user.
 */
static ssize_t faults_user_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&to_iopmem(dev)->faults_user));
}
static DEVICE_ATTR_RO(faults_user);

static ssize_t faults_kernel_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&to_iopmem(dev)->faults_kernel));
}
static DEVICE_ATTR_RO(faults_kernel);

static struct attribute *iopmem_dev_attrs[] = {
	&dev_attr_abi_version.attr,
	&dev_attr_bar.attr,
	&dev_attr_size.attr,
	&dev_attr_bar_size.attr,
	&dev_attr_cpu_addr.attr,
	&dev_attr_bus_addr.attr,
	&dev_attr_backend.attr,
	&dev_attr_memtype.attr,
	&dev_attr_flags.attr,
	&dev_attr_pci_dev.attr,
	&dev_attr_pages_pinned.attr,
	&dev_attr_faults_user.attr,
	&dev_attr_faults_kernel.attr,
	NULL,
};

static const struct attribute_group iopmem_dev_group = {
	.attrs = iopmem_dev_attrs,
};

const struct attribute_group *iopmem_dev_groups[] = {
	&iopmem_dev_group,
	NULL,
};
