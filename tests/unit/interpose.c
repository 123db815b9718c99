// SPDX-License-Identifier: MIT
/*
 * interpose ROOT: a program that happens to define functions named like
 * libiopmem's internals (sysfs_read, ctx_fail, pci_index...), all broken on
 * purpose. Linked against libiopmem.so (build/unit/interpose-so) or
 * libiopmem.a (build/unit/interpose-a), it must link, and the library must
 * keep calling its own: they are hidden, localized in the archive, and not
 * exported from the shared library. ROOT is the lab-switch fixture.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "libiopmem.h"

/* The program's own functions: same names, other meanings. */
int sysfs_read(const char *path, char *buf, size_t len);
int sysfs_read_ulong(const char *path, unsigned long *val);
int sysfs_path(void);
int ctx_fail(void);
int pci_index(void);
int pci_enumerate(void);
int engine_direct(void);

int sysfs_read(const char *path, char *buf, size_t len)
{
	(void)path;
	(void)buf;
	(void)len;
	return -EIO;
}

int sysfs_read_ulong(const char *path, unsigned long *val)
{
	(void)path;
	*val = 0;
	return -EIO;
}

int sysfs_path(void)
{
	return -ENAMETOOLONG;
}

int ctx_fail(void)
{
	return 12345;
}

int pci_index(void)
{
	return -1;
}

int pci_enumerate(void)
{
	return -ENOSYS;
}

int engine_direct(void)
{
	return -ENOSYS;
}

static int failed;

static void check(int ok, const char *what, const struct iopmem_ctx *ctx)
{
	printf("%s - %s\n", ok ? "ok" : "not ok", what);
	if (!ok) {
		printf("# %s\n", iopmem_ctx_error(ctx));
		failed = 1;
	}
}

int main(int argc, char **argv)
{
	struct iopmem_verdict v;
	struct iopmem_ctx *ctx;
	unsigned long val = 1;
	int ret, p, c;

	if (argc != 2) {
		fprintf(stderr, "usage: interpose ROOT\n");
		return 2;
	}
	memset(&v, 0, sizeof(v));
	check(sysfs_read("x", NULL, 0) == -EIO && sysfs_read_ulong("x", &val) == -EIO && !val &&
		      ctx_fail() == 12345 && pci_index() == -1 && sysfs_path() == -ENAMETOOLONG &&
		      pci_enumerate() == -ENOSYS && engine_direct() == -ENOSYS,
	      "the program's own functions are its own", NULL);
	ret = iopmem_ctx_new(&ctx, argv[1]);
	check(ret == 0 && iopmem_func_count(ctx) == 14, "the library reads the fixture (14 functions)",
	      ctx);
	p = iopmem_func_find(ctx, "/dev/iopmem0");
	c = iopmem_func_find(ctx, "03:00.0");
	check(p >= 0 && c >= 0 && iopmem_p2p_verdict(ctx, p, c, &v) == 0 &&
		      v.path == IOPMEM_PATH_SWITCH && iopmem_func_get(ctx, (size_t)c)->vendor != 0,
	      "the library's verdict is right (SWITCH, vendor ids read)", ctx);
	check(iopmem_func_find(ctx, "0000:7f:00.0") == -ENODEV &&
		      !strcmp(iopmem_ctx_error(ctx), "0000:7f:00.0: no such PCI function"),
	      "the library's errors are its own (ENODEV and its text)", ctx);
	iopmem_ctx_free(ctx);
	return failed;
}
