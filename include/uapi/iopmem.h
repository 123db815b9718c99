/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note OR MIT */
/*
 * iopmem user-space ABI: /dev/iopmemN, one node per PCIe BAR bound to iopmem.ko.
 *
 * mmap(2) of the node with MAP_SHARED maps the BAR, byte 0 of the node at
 * offset 0. The pages are ZONE_DEVICE pages: get_user_pages()/pin_user_pages()
 * succeed on them, so O_DIRECT and io_uring on another device move the bytes
 * device to device. MAP_PRIVATE fails with EINVAL, a range past the end with
 * ENXIO. When the device goes away (unbind, unplug) mappings are revoked: the
 * next touch raises SIGBUS, and open/ioctl fail with ENODEV.
 *
 * The same facts as IOPMEM_IOC_INFO are in /sys/class/iopmem/iopmemN/.
 */
#ifndef _UAPI_IOPMEM_H
#define _UAPI_IOPMEM_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Bumped on any incompatible change; user space must check it. */
#define IOPMEM_ABI_VERSION 1

/* How the BAR got its struct pages. */
enum iopmem_backend {
	IOPMEM_BACKEND_ZONE_DEVICE = 1, /* iopmem's own devm_memremap_pages() */
	IOPMEM_BACKEND_P2PDMA = 2,      /* the kernel's PCI p2pdma provider API */
};

/* Memory type of every CPU mapping of the BAR (kernel and user). */
enum iopmem_memtype {
	IOPMEM_MEMTYPE_UC = 1, /* uncached: non-prefetchable BARs */
	IOPMEM_MEMTYPE_WC = 2, /* write-combining: prefetchable BARs */
};

/* iopmem_info.flags */
#define IOPMEM_INFO_F_PREFETCHABLE (1U << 0) /* the BAR is prefetchable */
#define IOPMEM_INFO_F_64BIT        (1U << 1) /* the BAR is a 64-bit BAR */
/* part of the BAR is published to in-kernel p2pdma users */
#define IOPMEM_INFO_F_PUBLISHED    (1U << 2)

/**
 * struct iopmem_info - what a /dev/iopmemN node maps.
 * @abi_version: IOPMEM_ABI_VERSION of the running module.
 * @flags: IOPMEM_INFO_F_* bits.
 * @pci_domain: PCI domain (segment) of the device owning the BAR.
 * @pci_bus: PCI bus number.
 * @pci_dev: PCI device (slot) number.
 * @pci_fn: PCI function number.
 * @bar: BAR index (0-5).
 * @backend: enum iopmem_backend.
 * @memtype: enum iopmem_memtype.
 * @size: bytes mappable through the node, starting at mmap offset 0.
 * @bar_size: size of the whole BAR in bytes.
 * @cpu_addr: CPU physical address of mappable byte 0.
 * @bus_addr: PCI bus address of mappable byte 0 (what a peer behind the same
 *            switch puts on the wire; differs from @cpu_addr by the host
 *            bridge's bus offset).
 * @reserved: zero; room for later fields without an ABI bump.
 */
struct iopmem_info {
	__u32 abi_version;
	__u32 flags;
	__u32 pci_domain;
	__u8 pci_bus;
	__u8 pci_dev;
	__u8 pci_fn;
	__u8 bar;
	__u32 backend;
	__u32 memtype;
	__u64 size;
	__u64 bar_size;
	__u64 cpu_addr;
	__u64 bus_addr;
	__u64 reserved[4];
};

#define IOPMEM_IOC_MAGIC 0xB9
#define IOPMEM_IOC_INFO  _IOR(IOPMEM_IOC_MAGIC, 0x00, struct iopmem_info)

#endif /* _UAPI_IOPMEM_H */
