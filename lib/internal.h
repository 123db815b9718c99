/* SPDX-License-Identifier: MIT */
/* libiopmem internals: the context and the helpers its files share. */
#ifndef LIBIOPMEM_INTERNAL_H
#define LIBIOPMEM_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "libiopmem.h"

struct iopmem_ctx {
	char root[256];           /* "" for the real system, else a fake tree */
	struct iopmem_func *funcs;
	size_t nfuncs;
	char cpu_vendor[32];      /* from /proc/cpuinfo, "" if unknown */
	int cpu_family;           /* -1 if unknown */
	char error[512];
};

/* ctx.c */
int ctx_fail(struct iopmem_ctx *ctx, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int ctx_vfail(struct iopmem_ctx *ctx, int err, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

void func_iopmem_node(const struct iopmem_ctx *ctx, int index, char *node, size_t len);
int path_func(const struct iopmem_ctx *ctx, char *real);
int fd_func(struct iopmem_ctx *ctx, int fd);
const char *fd_no_dma(int fd);

/* buf.c */
int buf_file_io(const struct iopmem_buf *buf, int fd, int into_buf, uint64_t file_off,
		uint64_t off, uint64_t len, uint64_t *done);
struct io_uring_sqe;
int buf_file_io_sqe(const struct iopmem_buf *buf, struct io_uring_sqe *sqe, int fd, int into_buf,
		    uint64_t file_off, uint64_t off, uint64_t len);

/* sysfs.c: paths are relative to ctx->root. */
int sysfs_path(const struct iopmem_ctx *ctx, char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int sysfs_read(const char *path, char *buf, size_t len);
int sysfs_read_ulong(const char *path, unsigned long *val);
int sysfs_link_name(const char *path, char *buf, size_t len);
long sysfs_read_bin(const char *path, unsigned char *buf, size_t len);

/* pci.c */
int pci_enumerate(struct iopmem_ctx *ctx);
int pci_is_bdf(const char *s);
int pci_parse_bdf(const char *s, char *out, size_t len);
int pci_index(const struct iopmem_ctx *ctx, const char *bdf);
int cpu_read(struct iopmem_ctx *ctx);

#endif
