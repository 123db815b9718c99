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
/*
 * The BAR's pages are FS-DAX pages, for a DAX file system on /dev/iopmem-blkN
 * (module parameter dax=1): this node answers ioctls but maps nothing.
 */
#define IOPMEM_INFO_F_DAX_DISK     (1U << 3)
/* The node takes IOPMEM_URING_CMD_FILE_IO (the kernel has io_uring). */
#define IOPMEM_INFO_F_URING_CMD    (1U << 4)

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

/* How a client function reaches this BAR (the kernel's p2pdma rules). */
enum iopmem_p2p_path {
	IOPMEM_P2P_SELF = 0,       /* the client is the BAR's own function */
	IOPMEM_P2P_SWITCH = 1,     /* common upstream bridge, no ACS redirect: bus address */
	IOPMEM_P2P_HOSTBRIDGE = 2, /* through the root complex of one host bridge */
	IOPMEM_P2P_CROSS_HB = 3,   /* through the root complex, across host bridges */
	IOPMEM_P2P_NONE = 4,       /* not supported */
};

/* iopmem_p2p_query.flags */
#define IOPMEM_P2P_F_BUS_ADDR     (1U << 0) /* dma_addr is the BAR's PCI bus address */
#define IOPMEM_P2P_F_DMA_API      (1U << 1) /* the client must map cpu_addr with the DMA API */
#define IOPMEM_P2P_F_ACS_REDIRECT (1U << 2) /* a port on the path redirects P2P upstream */
#define IOPMEM_P2P_F_KERNEL_RULES (1U << 3) /* decided by the kernel's pci_p2pdma_distance() */

/**
 * struct iopmem_p2p_query - can a client function DMA into this BAR, and how?
 * @client_domain: in: the client's PCI domain.
 * @client_bus: in: its bus number.
 * @client_dev: in: its device number.
 * @client_fn: in: its function number.
 * @pad: zero.
 * @path: out: enum iopmem_p2p_path.
 * @distance: out: the kernel's p2pdma distance, -1 when @path is NONE.
 * @flags: out: IOPMEM_P2P_F_* bits.
 * @dma_addr: out: with IOPMEM_P2P_F_BUS_ADDR, the address the client puts on
 *            the wire for mappable byte 0; else 0. Never set for a path that
 *            cannot work (IOPMEM_IOC_P2P then fails with EREMOTEIO).
 * @reserved: zero.
 */
struct iopmem_p2p_query {
	__u32 client_domain;
	__u8 client_bus;
	__u8 client_dev;
	__u8 client_fn;
	__u8 pad;
	__u32 path;
	__s32 distance;
	__u32 flags;
	__u32 reserved0;
	__u64 dma_addr;
	__u64 reserved[2];
};

/* iopmem_file_io.op */
enum iopmem_file_io_op {
	IOPMEM_FILE_READ = 1,  /* read the file into the BAR */
	IOPMEM_FILE_WRITE = 2, /* write the BAR to the file */
};

/**
 * struct iopmem_file_io - direct I/O between a file and the BAR, issued by
 * the module (no mapping, no page pinning in the caller).
 * @fd: in: the file: a block device or a regular file, opened by the caller
 *      for reading (IOPMEM_FILE_READ) or writing (IOPMEM_FILE_WRITE); it
 *      need not be opened with O_DIRECT.
 * @op: in: enum iopmem_file_io_op. The node must be open for writing to
 *      read into the BAR, for reading to write from it.
 * @flags: in: zero.
 * @reserved0: zero.
 * @file_offset: in: byte offset in the file.
 * @bar_offset: in: byte offset in the node (as for mmap).
 * @len: in: bytes, at most 16 MiB. @file_offset, @bar_offset and @len are
 *       multiples of the logical block size of the file's block device.
 * @done: out: bytes moved; less than @len only at the end of the file.
 * @reserved: zero.
 */
struct iopmem_file_io {
	__u32 fd;
	__u32 op;
	__u32 flags;
	__u32 reserved0;
	__u64 file_offset;
	__u64 bar_offset;
	__u64 len;
	__u64 done;
	__u64 reserved[3];
};

#define IOPMEM_IOC_MAGIC 0xB9
#define IOPMEM_IOC_INFO  _IOR(IOPMEM_IOC_MAGIC, 0x00, struct iopmem_info)
/*
 * Fails with ENODEV for an unknown client, EREMOTEIO when path is NONE, EINVAL
 * for a device number above 31, a function above 7 or non-zero pad/reserved.
 */
#define IOPMEM_IOC_P2P   _IOWR(IOPMEM_IOC_MAGIC, 0x01, struct iopmem_p2p_query)
/*
 * Synchronous. Nothing moves and it fails with EINVAL (malformed, out of
 * bounds, misaligned), EBADF (a file not open for that direction),
 * EOPNOTSUPP (no direct I/O on the file, or no PCI device behind it), EBUSY
 * (dax=1, or reading into a BAR whose disk is mounted), EREMOTEIO (that
 * device cannot DMA to this BAR), ENODEV (unbound). Otherwise the I/O's own
 * result. Unbind waits for requests in flight.
 */
#define IOPMEM_IOC_FILE_IO _IOWR(IOPMEM_IOC_MAGIC, 0x02, struct iopmem_file_io)

/*
 * The same request as an io_uring passthrough command, completing
 * asynchronously: IORING_OP_URING_CMD on the node's fd, in a ring set up with
 * IORING_SETUP_SQE128; sqe->cmd_op is this value and sqe->cmd holds a struct
 * iopmem_file_io (done zero, not written). The CQE's res is the bytes moved
 * or a negative errno, as for the ioctl; registered buffers
 * (IORING_URING_CMD_FIXED) or a 64-byte SQE are EINVAL. Offered where
 * IOPMEM_INFO_F_URING_CMD is set.
 */
#define IOPMEM_URING_CMD_FILE_IO IOPMEM_IOC_FILE_IO

#endif /* _UAPI_IOPMEM_H */
