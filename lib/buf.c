// SPDX-License-Identifier: MIT
/*
 * Buffers in device memory: a shared mapping of /dev/iopmemN, or of a kernel
 * p2pdma provider's p2pmem/allocate file. Either way the pages are ones
 * O_DIRECT and io_uring can hand to another device's DMA.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <liburing.h>

#include "../include/uapi/iopmem.h"
#include "internal.h"

struct iopmem_buf {
	int fd;
	void *addr;
	size_t size;
	int provider;            /* PCI function index in the context, -1 unknown */
	enum iopmem_buf_kind kind;
	uint64_t node_offset;    /* IOPMEM_BUF_IOPMEM: the mapping's offset in the node */
	uint32_t info_flags;     /* IOPMEM_BUF_IOPMEM: IOPMEM_INFO_F_* of the node */
	char name[64];           /* "iopmem0", "p2pmem:0000:01:00.0" */
};

/* "/dev/iopmem3" or "iopmem3" -> "iopmem3"; NULL if it is not such a name. */
static const char *iopmem_node_name(const char *name)
{
	const char *base = strncmp(name, "/dev/", 5) ? name : name + 5;

	if (strncmp(base, "iopmem", 6) || !base[6] || strspn(base + 6, "0123456789") != strlen(base + 6))
		return NULL;
	return base;
}

/* Refuse a module whose ABI this library does not speak, naming both. */
static int abi_check(struct iopmem_ctx *ctx, int fd, const char *node, struct iopmem_info *info)
{
	char path[512], val[32];

	if (ioctl(fd, IOPMEM_IOC_INFO, info) == 0 && info->abi_version == IOPMEM_ABI_VERSION)
		return 0;
	if (errno == ENODEV)
		return ctx_fail(ctx, -ENODEV, "/dev/%s: the device is gone (unbound or unplugged)", node);
	val[0] = '\0';
	sysfs_path(ctx, path, sizeof(path), "/sys/class/iopmem/%s/abi_version", node);
	if (sysfs_read(path, val, sizeof(val)))
		snprintf(val, sizeof(val), "unknown");
	return ctx_fail(ctx, -EPROTO,
			"/dev/%s: iopmem.ko speaks ABI %s but libiopmem %s speaks ABI %d: "
			"install the module and the library from the same release",
			node, val, IOPMEM_LIB_VERSION, IOPMEM_ABI_VERSION);
}

static int open_node(struct iopmem_ctx *ctx, struct iopmem_buf *buf, const char *node,
		     uint64_t offset, size_t size)
{
	struct iopmem_info info;
	char dev[80], bdf[16];
	int ret;

	snprintf(dev, sizeof(dev), "/dev/%s", node);
	buf->fd = open(dev, O_RDWR | O_CLOEXEC);
	if (buf->fd < 0)
		return ctx_fail(ctx, -errno, "%s: %s%s", dev, strerror(errno),
				errno == EACCES ? " (root, or membership of group iopmem, is needed)" :
				errno == ENOENT ? " (is iopmem.ko loaded and bound?)" : "");
	ret = abi_check(ctx, buf->fd, node, &info);
	if (ret)
		return ret;
	if (info.flags & IOPMEM_INFO_F_DAX_DISK)
		return ctx_fail(ctx, -EBUSY,
				"%s maps nothing: iopmem.ko was loaded with dax=1, its BAR is the DAX disk "
				"/dev/iopmem-blk%s (use a file on its file system as dax:FILE)",
				dev, node + strlen("iopmem"));
	if (offset % (uint64_t)sysconf(_SC_PAGESIZE) || offset >= info.size)
		return ctx_fail(ctx, -EINVAL, "%s: offset %llu must be page-aligned and below its %llu bytes",
				dev, (unsigned long long)offset, (unsigned long long)info.size);
	if (!size)
		size = (size_t)(info.size - offset);
	if (size > info.size - offset)
		return ctx_fail(ctx, -ENOSPC, "%s: %zu bytes at offset %llu do not fit its %llu bytes",
				dev, size, (unsigned long long)offset, (unsigned long long)info.size);
	buf->size = size;
	buf->kind = IOPMEM_BUF_IOPMEM;
	buf->node_offset = offset;
	buf->info_flags = info.flags;
	snprintf(buf->name, sizeof(buf->name), "%s", node);
	snprintf(bdf, sizeof(bdf), "%04x:%02x:%02x.%x", info.pci_domain, info.pci_bus,
		 info.pci_dev, info.pci_fn);
	buf->provider = pci_index(ctx, bdf);
	buf->addr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, buf->fd, (off_t)offset);
	if (buf->addr == MAP_FAILED)
		return ctx_fail(ctx, -errno, "%s: mmap: %s", dev, strerror(errno));
	return 0;
}

/*
 * A kernel p2pdma provider (e.g. an NVMe CMB) publishes p2pmem/allocate: each
 * shared mapping of it allocates that much from the provider's pool.
 */
static int open_p2pmem(struct iopmem_ctx *ctx, struct iopmem_buf *buf, const char *bdf,
		       size_t size)
{
	char path[512];
	unsigned long avail = 0;

	sysfs_path(ctx, path, sizeof(path), "/sys/bus/pci/devices/%s/p2pmem/available", bdf);
	if (sysfs_read_ulong(path, &avail))
		return ctx_fail(ctx, -ENODEV,
				"%s publishes no p2pmem (a kernel without CONFIG_PCI_P2PDMA, or a "
				"driver that registers none) and is not bound to iopmem.ko", bdf);
	if (!size)
		size = avail;
	if (!size || size > avail)
		return ctx_fail(ctx, -ENOSPC, "%s: %zu bytes asked, its p2pmem has %lu available",
				bdf, size, avail);
	sysfs_path(ctx, path, sizeof(path), "/sys/bus/pci/devices/%s/p2pmem/allocate", bdf);
	buf->fd = open(path, O_RDWR | O_CLOEXEC);
	if (buf->fd < 0)
		return ctx_fail(ctx, -errno, "%s: %s", path, strerror(errno));
	buf->addr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, buf->fd, 0);
	if (buf->addr == MAP_FAILED)
		return ctx_fail(ctx, -errno, "%s: mmap of %zu bytes: %s", path, size, strerror(errno));
	buf->size = size;
	buf->kind = IOPMEM_BUF_P2PMEM;
	buf->provider = pci_index(ctx, bdf);
	snprintf(buf->name, sizeof(buf->name), "p2pmem:%s", bdf);
	return 0;
}

/*
 * A file on a DAX file system over /dev/iopmem-blkN: its pages are the BAR's.
 * MAP_SYNC only succeeds on DAX mappings, which is exactly the check wanted.
 */
static int open_dax_file(struct iopmem_ctx *ctx, struct iopmem_buf *buf, const char *path,
			 uint64_t offset, size_t size)
{
	struct stat st;

	buf->fd = open(path, O_RDWR | O_CLOEXEC);
	if (buf->fd < 0 || fstat(buf->fd, &st))
		return ctx_fail(ctx, -errno, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode) || offset % (uint64_t)sysconf(_SC_PAGESIZE) ||
	    offset >= (uint64_t)st.st_size)
		return ctx_fail(ctx, -EINVAL, "%s: a regular file, with a page-aligned offset below its "
				"size (%lld bytes), is needed", path, (long long)st.st_size);
	if (!size)
		size = (size_t)((uint64_t)st.st_size - offset);
	if (size > (uint64_t)st.st_size - offset)
		return ctx_fail(ctx, -ENOSPC, "%s: %zu bytes at offset %llu are past its end (%lld bytes)",
				path, size, (unsigned long long)offset, (long long)st.st_size);
	buf->addr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED_VALIDATE | MAP_SYNC, buf->fd,
			 (off_t)offset);
	if (buf->addr == MAP_FAILED)
		return ctx_fail(ctx, -errno, "%s: not a file on a DAX file system (mmap MAP_SYNC: %s); "
				"mount it with -o dax=always", path, strerror(errno));
	buf->size = size;
	buf->kind = IOPMEM_BUF_DAX_FILE;
	buf->provider = fd_func(ctx, buf->fd);
	snprintf(buf->name, sizeof(buf->name), "dax:%.58s", path);
	return 0;
}

/**
 * iopmem_buf_open() - map a buffer in device memory.
 * @ctx: the context (for PCI lookups and the error text).
 * @name: "/dev/iopmemN" or "iopmemN"; a PCI function ("0000:01:00.0",
 *        "01:00.0") bound to iopmem.ko; "p2pmem:BDF", or the BDF of a function
 *        that is not iopmem's, for memory from the kernel's p2pdma allocator.
 * @offset: byte offset into the device (iopmem nodes; page-aligned), 0 for p2pmem.
 * @size: bytes to map; 0 for all that is left (p2pmem: all that is available).
 * @out: the buffer, or NULL on failure.
 *
 * Fails with -EPROTO when the loaded iopmem.ko speaks another ABI than this
 * library, naming both versions.
 *
 * Return: 0 or a negative errno (iopmem_ctx_error() says why).
 */
int iopmem_buf_open(struct iopmem_ctx *ctx, const char *name, uint64_t offset, size_t size,
		    struct iopmem_buf **out)
{
	struct iopmem_buf *buf = calloc(1, sizeof(*buf));
	const char *node = iopmem_node_name(name);
	char found[32];
	int ret, idx;

	*out = NULL;
	if (!buf)
		return ctx_fail(ctx, -ENOMEM, "out of memory");
	buf->fd = -1;
	buf->addr = MAP_FAILED;
	buf->provider = -1;
	if (node) {
		ret = open_node(ctx, buf, node, offset, size);
	} else if (!strncmp(name, "dax:", 4)) {
		ret = open_dax_file(ctx, buf, name + 4, offset, size);
	} else if (!strncmp(name, "p2pmem:", 7)) {
		idx = iopmem_func_find(ctx, name + 7);
		ret = idx < 0 ? idx : offset ? ctx_fail(ctx, -EINVAL, "p2pmem buffers start at offset 0")
			      : open_p2pmem(ctx, buf, ctx->funcs[idx].bdf, size);
	} else if ((idx = iopmem_func_find(ctx, name)) < 0) {
		ret = ctx_fail(ctx, idx, "%s: not an iopmem node, nor a PCI function (%s)", name,
			       iopmem_ctx_error(ctx));
	} else {
		func_iopmem_node(ctx, idx, found, sizeof(found));
		ret = found[0] ? open_node(ctx, buf, found, offset, size)
			       : offset ? ctx_fail(ctx, -EINVAL, "p2pmem buffers start at offset 0")
					: open_p2pmem(ctx, buf, ctx->funcs[idx].bdf, size);
	}
	if (ret) {
		buf->size = buf->addr == MAP_FAILED ? 0 : buf->size;
		iopmem_buf_close(buf);
		return ret;
	}
	*out = buf;
	return 0;
}

/** iopmem_buf_close() - unmap and free a buffer; NULL is ignored. */
void iopmem_buf_close(struct iopmem_buf *buf)
{
	if (!buf)
		return;
	if (buf->addr != MAP_FAILED)
		munmap(buf->addr, buf->size);
	if (buf->fd >= 0)
		close(buf->fd);
	free(buf);
}

/** iopmem_buf_addr() - where the buffer is mapped in this process. */
void *iopmem_buf_addr(const struct iopmem_buf *buf)
{
	return buf->addr;
}

/** iopmem_buf_size() - its size in bytes. */
size_t iopmem_buf_size(const struct iopmem_buf *buf)
{
	return buf->size;
}

/** iopmem_buf_provider() - index of the PCI function whose memory it is, -1 unknown. */
int iopmem_buf_provider(const struct iopmem_buf *buf)
{
	return buf->provider;
}

/** iopmem_buf_kind() - where its memory came from. */
enum iopmem_buf_kind iopmem_buf_kind(const struct iopmem_buf *buf)
{
	return buf->kind;
}

/** iopmem_buf_name() - "iopmemN", "p2pmem:BDF" or "dax:PATH". */
const char *iopmem_buf_name(const struct iopmem_buf *buf)
{
	return buf->name;
}

/*
 * buf_file_io() - have iopmem.ko move [off, off + len) of @buf to or from
 * @fd at @file_off by direct I/O it issues itself (IOPMEM_IOC_FILE_IO).
 * @into_buf: read @fd into the buffer, else write the buffer to @fd.
 * @done: bytes moved.
 *
 * Return: 0, -EOPNOTSUPP for a buffer that is not a /dev/iopmemN mapping,
 * -ENOTTY from a module without the ioctl, or the module's negative errno.
 */
/* The module's request for [off, off + len) of @buf and @fd at @file_off. */
static struct iopmem_file_io file_io_req(const struct iopmem_buf *buf, int fd, int into_buf,
					 uint64_t file_off, uint64_t off, uint64_t len)
{
	return (struct iopmem_file_io){
		.fd = (uint32_t)fd,
		.op = into_buf ? IOPMEM_FILE_READ : IOPMEM_FILE_WRITE,
		.file_offset = file_off,
		.bar_offset = buf->node_offset + off,
		.len = len,
	};
}

int buf_file_io(const struct iopmem_buf *buf, int fd, int into_buf, uint64_t file_off,
		uint64_t off, uint64_t len, uint64_t *done)
{
	struct iopmem_file_io io = file_io_req(buf, fd, into_buf, file_off, off, len);

	*done = 0;
	if (buf->kind != IOPMEM_BUF_IOPMEM || fd < 0)
		return -EOPNOTSUPP;
	if (ioctl(buf->fd, IOPMEM_IOC_FILE_IO, &io) < 0)
		return -errno;
	*done = io.done;
	return 0;
}

/**
 * buf_file_io_sqe() - the same request as buf_file_io(), as the module's
 * io_uring command (IOPMEM_URING_CMD_FILE_IO) in @sqe, a 128-byte SQE.
 *
 * Return: 0, or -EOPNOTSUPP where the buffer is not a /dev/iopmemN mapping
 * or its module takes no io_uring commands (@sqe is left untouched).
 */
int buf_file_io_sqe(const struct iopmem_buf *buf, struct io_uring_sqe *sqe, int fd, int into_buf,
		    uint64_t file_off, uint64_t off, uint64_t len)
{
	struct iopmem_file_io io = file_io_req(buf, fd, into_buf, file_off, off, len);

	if (buf->kind != IOPMEM_BUF_IOPMEM || fd < 0 || !(buf->info_flags & IOPMEM_INFO_F_URING_CMD))
		return -EOPNOTSUPP;
	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, buf->fd, NULL, 0, 0);
	sqe->cmd_op = IOPMEM_URING_CMD_FILE_IO;
	memcpy(sqe->cmd, &io, sizeof(io));
	return 0;
}
