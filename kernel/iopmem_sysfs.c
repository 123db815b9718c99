// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/class/iopmem/iopmemN/: the facts of IOPMEM_IOC_INFO, one per file, for
 * scripts and for tools that cannot open the device node.
 */
#include <linux/device.h>
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

static ssize_t abi_version_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", IOPMEM_ABI_VERSION);
}
static DEVICE_ATTR_RO(abi_version);

static ssize_t bar_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", to_iopmem(dev)->bar);
}
static DEVICE_ATTR_RO(bar);

static ssize_t size_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", (unsigned long long)to_iopmem(dev)->size);
}
static DEVICE_ATTR_RO(size);

static ssize_t bar_size_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", (unsigned long long)to_iopmem(dev)->bar_size);
}
static DEVICE_ATTR_RO(bar_size);

static ssize_t cpu_addr_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%#llx\n", (unsigned long long)to_iopmem(dev)->cpu_addr);
}
static DEVICE_ATTR_RO(cpu_addr);

static ssize_t bus_addr_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%#llx\n", (unsigned long long)to_iopmem(dev)->bus_addr);
}
static DEVICE_ATTR_RO(bus_addr);

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

static ssize_t flags_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%#x\n", to_iopmem(dev)->info_flags);
}
static DEVICE_ATTR_RO(flags);

static ssize_t pci_dev_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", pci_name(to_iopmem(dev)->pdev));
}
static DEVICE_ATTR_RO(pci_dev);

/* Pages pinned right now (GUP users such as O_DIRECT in flight). */
static ssize_t pages_pinned_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lu\n", iopmem_pages_busy(to_iopmem(dev)));
}
static DEVICE_ATTR_RO(pages_pinned);

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
	NULL,
};

static const struct attribute_group iopmem_dev_group = {
	.attrs = iopmem_dev_attrs,
};

const struct attribute_group *iopmem_dev_groups[] = {
	&iopmem_dev_group,
	NULL,
};
