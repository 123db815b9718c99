// SPDX-License-Identifier: MIT
/*
 * copy-unit DIR: libiopmem's copy engine on host files (no device memory
 * needed): every byte checked, the result's accounting checked against what
 * alignment allows, cancellation, refusals and bad arguments. TAP-style
 * output; run under valgrind by tests/unit/run-copy.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libiopmem.h"

struct t {
	struct iopmem_ctx *ctx;
	const char *dir;
	int failed;
};

static void check(struct t *t, int ok, const char *what)
{
	printf("%s - %s\n", ok ? "ok" : "not ok", what);
	if (!ok) {
		printf("# %s\n", iopmem_ctx_error(t->ctx));
		t->failed = 1;
	}
}

static int make_file(struct t *t, const char *name, const uint8_t *data, size_t len)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", t->dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0 && len && pwrite(fd, data, len, 0) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	return fd;
}

static uint8_t *pattern(size_t len, unsigned int seed)
{
	uint8_t *p = malloc(len);
	size_t i;

	for (i = 0; p && i < len; i++) {
		seed = seed * 1103515245U + 12345U;
		p[i] = (uint8_t)(seed >> 16);
	}
	return p;
}

/* file -> host memory at (file offset, memory offset): bytes and accounting. */
static void file_to_mem(struct t *t, const uint8_t *data, int fd, uint64_t foff, size_t moff,
			size_t len, uint64_t want_bounced)
{
	uint8_t *mem = aligned_alloc(4096, 8 << 20);
	struct iopmem_end src = { .type = IOPMEM_END_FD, .fd = fd, .offset = foff };
	struct iopmem_end dst = { .type = IOPMEM_END_MEM, .mem = mem, .offset = moff };
	struct iopmem_copy_opts o = { .qd = 4, .chunk = 64 << 10 };
	struct iopmem_copy_result r;
	char what[160];
	int ret;

	if (!mem) {
		check(t, 0, "memory");
		return;
	}
	memset(mem, 0xee, 8 << 20);
	ret = iopmem_copy(t->ctx, &src, &dst, len, &o, &r);
	snprintf(what, sizeof(what), "file@%llu -> memory@%zu, %zu bytes: all arrive, %llu bounced",
		 (unsigned long long)foff, moff, len, (unsigned long long)want_bounced);
	check(t, !ret && r.bytes == len && !memcmp(mem + moff, data + foff, len) &&
		 r.bytes_bounced == want_bounced && r.bytes_direct == len - want_bounced &&
		 !r.bytes_p2p && mem[moff + len] == 0xee && (!moff || mem[moff - 1] == 0xee), what);
	free(mem);
}

/* host memory -> file, then the file is read back and compared. */
static void mem_to_file(struct t *t, const uint8_t *data, uint64_t foff, size_t len)
{
	struct iopmem_end src = { .type = IOPMEM_END_MEM, .mem = (void *)data };
	struct iopmem_end dst = { .type = IOPMEM_END_FD, .offset = foff };
	struct iopmem_copy_result r;
	uint8_t *back = malloc(len + 1);
	char what[128];
	int ret, same;

	dst.fd = make_file(t, "out", NULL, 0);
	ret = iopmem_copy(t->ctx, &src, &dst, len, NULL, &r);
	same = back && pread(dst.fd, back, len + 1, (off_t)foff) == (ssize_t)len && !memcmp(back, data, len);
	snprintf(what, sizeof(what), "memory -> file@%llu, %zu bytes: the file holds them, nothing more",
		 (unsigned long long)foff, len);
	check(t, !ret && same && r.bytes == len && r.bytes_direct + r.bytes_bounced == len, what);
	free(back);
	close(dst.fd);
}

struct cancel {
	int calls;
};

static int cancel_soon(void *arg, uint64_t done, uint64_t total)
{
	struct cancel *c = arg;

	(void)done;
	(void)total;
	return ++c->calls >= 3;
}

static void cancels_and_refusals(struct t *t, const uint8_t *data, int fd)
{
	uint8_t *mem = aligned_alloc(4096, 4 << 20);
	struct iopmem_end src = { .type = IOPMEM_END_FD, .fd = fd };
	struct iopmem_end dst = { .type = IOPMEM_END_MEM, .mem = mem };
	struct cancel c = { 0 };
	struct iopmem_copy_opts o = { .qd = 2, .chunk = 4096, .progress = cancel_soon, .progress_arg = &c };
	struct iopmem_copy_result r;
	int ret;

	ret = iopmem_copy(t->ctx, &src, &dst, 4 << 20, &o, &r);
	check(t, ret == -ECANCELED && r.bytes < (4 << 20), "a progress callback returning 1 cancels (ECANCELED)");

	o = (struct iopmem_copy_opts){ .flags = IOPMEM_COPY_NO_FALLBACK };
	memset(mem, 0, 4 << 20);
	src.offset = 1;
	ret = iopmem_copy(t->ctx, &src, &dst, 8192, &o, &r);
	check(t, ret == -EINVAL && !r.bytes && !mem[0] && strstr(iopmem_ctx_error(t->ctx), "not allowed"),
	      "NO_FALLBACK with an unaligned copy: EINVAL before anything moves");

	src.offset = (8 << 20) - 10;
	ret = iopmem_copy(t->ctx, &src, &dst, 20, NULL, &r);
	check(t, ret == -ENODATA, "reading past the end of the source: ENODATA");

	o = (struct iopmem_copy_opts){ .chunk = 1000 };
	src.offset = 0;
	ret = iopmem_copy(t->ctx, &src, &dst, 4096, &o, &r);
	check(t, ret == -EINVAL, "a chunk that is not a multiple of 4096: EINVAL");

	o = (struct iopmem_copy_opts){ .flags = IOPMEM_COPY_FORCE_BOUNCE };
	ret = iopmem_copy(t->ctx, &src, &dst, 1 << 20, &o, &r);
	check(t, !ret && r.bytes_bounced == (1 << 20) && (r.fallbacks & IOPMEM_FB_FORCED) &&
		 !memcmp(mem, data, 1 << 20), "FORCE_BOUNCE moves every byte through the CPU, and says so");

	src = (struct iopmem_end){ .type = IOPMEM_END_MEM, .mem = (void *)data };
	ret = iopmem_copy(t->ctx, &src, &dst, 12345, NULL, &r);
	check(t, !ret && r.bytes_bounced == 12345 && (r.fallbacks & IOPMEM_FB_NO_DMA) &&
		 !strcmp(iopmem_copy_path(&r), "bounce"), "memory -> memory: a CPU copy, reported as such");
	free(mem);
}

/* file -> file through a host stage, several chunks in flight. */
static void file_to_file(struct t *t, const uint8_t *data, int fd)
{
	struct iopmem_end src = { .type = IOPMEM_END_FD, .fd = fd, .offset = 8192 };
	struct iopmem_end dst = { .type = IOPMEM_END_FD, .offset = 4096 };
	struct iopmem_copy_opts o = { .qd = 3, .chunk = 8192 };
	struct iopmem_copy_result r;
	size_t len = (1 << 20) + 5;
	uint8_t *back = malloc(len);
	int ret;

	dst.fd = make_file(t, "out2", NULL, 0);
	ret = iopmem_copy(t->ctx, &src, &dst, len, &o, &r);
	check(t, !ret && back && pread(dst.fd, back, len, 4096) == (ssize_t)len &&
		 !memcmp(back, data + 8192, len) && r.bytes_bounced == 5,
	      "file -> file, qd 3, 8 KiB chunks: every byte, only the 5-byte tail bounced");
	printf("# engine: %s\n", r.engine);
	free(back);
	close(dst.fd);
}

int main(int argc, char **argv)
{
	struct t t = { .dir = argc > 1 ? argv[1] : "." };
	size_t len = 8 << 20;
	uint8_t *data = pattern(len, 7);
	int fd;

	if (!data || iopmem_ctx_new(&t.ctx, NULL)) {
		printf("not ok - setup: %s\n", iopmem_ctx_error(t.ctx));
		return 1;
	}
	fd = make_file(&t, "src", data, len);
	file_to_mem(&t, data, fd, 0, 0, 1, 1);
	file_to_mem(&t, data, fd, 0, 0, 4095, 4095);
	file_to_mem(&t, data, fd, 0, 0, (1 << 20) + 3, 3);
	file_to_mem(&t, data, fd, 0, 0, 4 << 20, 0);
	file_to_mem(&t, data, fd, 100, 100, 10000, 4096 - 100 + (10000 - (4096 - 100)) % 4096);
	file_to_mem(&t, data, fd, 100, 0, 10000, 10000); /* offsets differ modulo 4096 */
	mem_to_file(&t, data, 0, 1);
	mem_to_file(&t, data, 4096, (2 << 20) + 7);
	file_to_file(&t, data, fd);
	cancels_and_refusals(&t, data, fd);
	close(fd);
	iopmem_ctx_free(t.ctx);
	free(data);
	return t.failed;
}
