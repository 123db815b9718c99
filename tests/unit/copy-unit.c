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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libiopmem.h"

struct t {
	struct iopmem_ctx *ctx;
	const char *dir;
	unsigned int align; /* the test file system's O_DIRECT alignment */
	int failed;
};

/* What statx says a file's file system needs for O_DIRECT (4096 if silent). */
static unsigned int dio_align(const char *path)
{
	struct statx sx;

	if (statx(AT_FDCWD, path, 0, STATX_DIOALIGN, &sx) || !(sx.stx_mask & STATX_DIOALIGN) ||
	    !sx.stx_dio_offset_align)
		return 4096;
	return sx.stx_dio_offset_align > sx.stx_dio_mem_align ? sx.stx_dio_offset_align
							      : sx.stx_dio_mem_align;
}

/* Bytes a file@foff <-> memory@moff copy of len must bounce at alignment a. */
static uint64_t bounced_at(uint64_t foff, uint64_t moff, uint64_t len, unsigned int a)
{
	uint64_t head = (a - foff % a) % a;

	if ((foff - moff) % a)
		return len;
	head = head > len ? len : head;
	return len - (len - head) / a * a;
}

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
			size_t len)
{
	uint64_t want_bounced = bounced_at(foff, moff, len, t->align);
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
	snprintf(what, sizeof(what), "file@%llu -> memory@%zu, %zu bytes: all arrive, %llu bounced "
		 "(O_DIRECT alignment %u)", (unsigned long long)foff, moff, len,
		 (unsigned long long)want_bounced, t->align);
	check(t, !ret && r.bytes == len && !memcmp(mem + moff, data + foff, len) && r.align == t->align &&
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

/* Same bytes on both ends, wrapping ranges, reserved words, cancellation's words. */
static void misuse(struct t *t, const uint8_t *data, int fd)
{
	uint8_t *mem = aligned_alloc(4096, 1 << 20);
	struct iopmem_end src = { .type = IOPMEM_END_FD, .fd = fd };
	struct iopmem_end dst = { .type = IOPMEM_END_FD, .fd = fd, .offset = 100 };
	struct iopmem_copy_opts o = { .qd = 2, .chunk = 4096 };
	struct iopmem_copy_result r;
	uint8_t back[8192];
	struct cancel c = { 0 };
	int ret;

	if (!mem) {
		check(t, 0, "memory");
		return;
	}

	/* Zeroed: io_uring fills memory behind valgrind's back. */
	memset(mem, 0, 1 << 20);
	ret = iopmem_copy(t->ctx, &src, &dst, 8192, &o, &r);
	check(t, ret == -EINVAL && !r.bytes && strstr(iopmem_ctx_error(t->ctx), "overlap") &&
		 pread(fd, back, sizeof(back), 0) == (ssize_t)sizeof(back) && !memcmp(back, data, sizeof(back)),
	      "the same file, overlapping ranges: EINVAL, the file untouched");
	src.offset = 1 << 20;
	dst.offset = 2 << 20;
	ret = iopmem_copy(t->ctx, &src, &dst, 8192, &o, &r);
	check(t, !ret && pread(fd, back, sizeof(back), 2 << 20) == (ssize_t)sizeof(back) &&
		 !memcmp(back, data + (1 << 20), sizeof(back)),
	      "the same file, disjoint ranges: copied");
	if (pwrite(fd, data + (2 << 20), sizeof(back), 2 << 20) != (ssize_t)sizeof(back))
		check(t, 0, "restore the source file");

	src = (struct iopmem_end){ .type = IOPMEM_END_FD, .fd = fd, .offset = UINT64_MAX - 10 };
	dst = (struct iopmem_end){ .type = IOPMEM_END_MEM, .mem = mem };
	ret = iopmem_copy(t->ctx, &src, &dst, 20, NULL, &r);
	check(t, ret == -EINVAL && strstr(iopmem_ctx_error(t->ctx), "largest offset"),
	      "offset + length past the largest file offset (wrapping): EINVAL");

	src.offset = 0;
	src.reserved[1] = 1;
	ret = iopmem_copy(t->ctx, &src, &dst, 20, NULL, &r);
	check(t, ret == -EINVAL && strstr(iopmem_ctx_error(t->ctx), "reserved"),
	      "a non-zero reserved word in an end: EINVAL");
	src.reserved[1] = 0;

	/* A failure first, then a cancelled copy must not say the old words. */
	ret = iopmem_copy(t->ctx, &src, &dst, 16 << 20, NULL, &r);
	o = (struct iopmem_copy_opts){ .qd = 1, .chunk = 4096, .progress = cancel_soon, .progress_arg = &c };
	ret = iopmem_copy(t->ctx, &src, &dst, 1 << 20, &o, &r) == -ECANCELED && ret == -ENODATA;
	check(t, ret && strstr(iopmem_ctx_error(t->ctx), "cancelled"),
	      "a cancelled copy says so in iopmem_ctx_error(), not an earlier failure's words");

	o = (struct iopmem_copy_opts){ .qd = 1024, .chunk = 64 << 20 };
	ret = iopmem_copy(t->ctx, &src, &dst, 10000, &o, &r);
	check(t, !ret && r.qd == 1 && r.chunk == 12288 && !memcmp(mem, data, 10000),
	      "qd 1024 x 64 MiB chunks for 10000 bytes: one 12 KiB chunk, not 64 GiB of staging");
	free(mem);
}

/* The caller's descriptor as it is: its mode, O_APPEND, O_DIRECT, and no reopen needed. */
static void descriptors(struct t *t, const uint8_t *data)
{
	uint8_t *mem = aligned_alloc(4096, 1 << 20);
	struct iopmem_end src = { .type = IOPMEM_END_FD, .offset = 1 };
	struct iopmem_end dst = { .type = IOPMEM_END_MEM, .mem = mem, .offset = 1 };
	struct iopmem_copy_result r;
	char path[512];
	pid_t pid;
	int ret, st = -1;

	if (!mem) {
		check(t, 0, "memory");
		return;
	}

	memset(mem, 0, 1 << 20);
	snprintf(path, sizeof(path), "%s/src", t->dir);
	src.fd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	ret = iopmem_copy(t->ctx, &src, &dst, 100000, NULL, &r);
	check(t, src.fd >= 0 && !ret && !memcmp(mem + 1, data + 1, 100000) && r.bytes_direct,
	      "an O_DIRECT descriptor: the middle direct, the unaligned edges through the page cache");
	close(src.fd);

	src = (struct iopmem_end){ .type = IOPMEM_END_MEM, .mem = mem };
	dst = (struct iopmem_end){ .type = IOPMEM_END_FD, .fd = make_file(t, "append", data, 10) };
	close(dst.fd);
	snprintf(path, sizeof(path), "%s/append", t->dir);
	dst.fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	ret = iopmem_copy(t->ctx, &src, &dst, 4096, NULL, &r);
	check(t, ret == -EINVAL && strstr(iopmem_ctx_error(t->ctx), "O_APPEND") && lseek(dst.fd, 0, SEEK_END) == 10,
	      "an O_APPEND destination: EINVAL, nothing written (it would land at the end)");
	close(dst.fd);

	/*
	 * A descriptor opened by root, used after dropping to nobody: the
	 * library must read through it, not reopen it by path (EACCES).
	 */
	if (geteuid() != 0) {
		printf("ok - # SKIP a root-opened descriptor used unprivileged: not root\n");
		free(mem);
		return;
	}
	src = (struct iopmem_end){ .type = IOPMEM_END_FD, .fd = make_file(t, "private", data, 1 << 20) };
	fchmod(src.fd, 0600);
	dst = (struct iopmem_end){ .type = IOPMEM_END_MEM, .mem = mem };
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		memset(mem, 0, 1 << 20);
		ret = setgid(65534) || setuid(65534) ? -EPERM : iopmem_copy(t->ctx, &src, &dst, 1 << 20, NULL, &r);
		_exit(!ret && !memcmp(mem, data, 1 << 20) ? 0 : 1);
	}
	check(t, pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "a root-opened descriptor handed to an unprivileged process: copied (no reopen by path)");
	close(src.fd);
	free(mem);
}

struct truncate_at {
	int fd;
	off_t size;
	int done;
};

/* After the first chunk, the source shrinks to an unaligned size. */
static int shrink_source(void *arg, uint64_t done, uint64_t total)
{
	struct truncate_at *tr = arg;

	(void)done;
	(void)total;
	if (!tr->done++ && ftruncate(tr->fd, tr->size))
		return 1;
	return 0;
}

/*
 * A direct read that ends short at an unaligned byte (the file shrank under
 * the copy): the rest must not be resubmitted misaligned (EINVAL, once taken
 * for a refusal of the pages) but read through the page cache, which finds
 * the real end.
 */
static void short_transfer(struct t *t, const uint8_t *data)
{
	uint8_t *mem = aligned_alloc(4096, 1 << 20);
	struct truncate_at tr = { .fd = make_file(t, "shrinks", data, 1 << 20), .size = 65536 + 100 };
	struct iopmem_end src = { .type = IOPMEM_END_FD, .fd = tr.fd };
	struct iopmem_end dst = { .type = IOPMEM_END_MEM, .mem = mem };
	struct iopmem_copy_opts o = { .qd = 1, .chunk = 65536, .progress = shrink_source, .progress_arg = &tr };
	struct iopmem_copy_result r;
	int ret;

	if (!mem) {
		check(t, 0, "memory");
		return;
	}

	memset(mem, 0, 1 << 20);
	ret = iopmem_copy(t->ctx, &src, &dst, 1 << 20, &o, &r);
	printf("# %d: %s\n", ret, iopmem_ctx_error(t->ctx));
	check(t, ret == -ENODATA && strstr(iopmem_ctx_error(t->ctx), "ends at byte 65636") &&
		 !memcmp(mem, data, 65636),
	      "a direct read ending short at an unaligned byte: the page cache finds the end (ENODATA)");
	close(tr.fd);
	free(mem);
}

/* Files no device DMAs (tmpfs), and file to file without a stage. */
static void no_dma_files(struct t *t, const uint8_t *data, int fd)
{
	uint8_t *mem = aligned_alloc(4096, 1 << 20);
	struct iopmem_end src = { .type = IOPMEM_END_FD };
	struct iopmem_end dst = { .type = IOPMEM_END_MEM, .mem = mem };
	struct iopmem_copy_opts o = { .flags = IOPMEM_COPY_NO_FALLBACK };
	struct iopmem_copy_result r;
	char shm[64];
	int ret;

	if (!mem) {
		check(t, 0, "memory");
		return;
	}

	snprintf(shm, sizeof(shm), "/dev/shm/copy-unit-%d", (int)getpid());
	src.fd = open(shm, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	unlink(shm);
	if (src.fd < 0 || pwrite(src.fd, data, 1 << 20, 0) != 1 << 20) {
		check(t, 0, "a tmpfs file in /dev/shm");
	} else {
		ret = iopmem_copy(t->ctx, &src, &dst, 1 << 20, NULL, &r);
		check(t, !ret && !memcmp(mem, data, 1 << 20) && !strcmp(iopmem_copy_path(&r), "bounce") &&
			 (r.fallbacks & IOPMEM_FB_NO_DMA) && strstr(r.reason, "tmpfs"),
		      "tmpfs -> memory: path bounce (no device DMAs it), and the reason names tmpfs");
		ret = iopmem_copy(t->ctx, &src, &dst, 1 << 20, &o, &r);
		check(t, ret == -EINVAL && !r.bytes, "tmpfs -> memory with NO_FALLBACK: refused");
	}
	if (src.fd >= 0)
		close(src.fd);

	src = (struct iopmem_end){ .type = IOPMEM_END_FD, .fd = fd };
	dst = (struct iopmem_end){ .type = IOPMEM_END_FD, .fd = make_file(t, "out3", NULL, 0) };
	ret = iopmem_copy(t->ctx, &src, &dst, 1 << 20, &o, &r);
	check(t, !ret && (r.fallbacks & IOPMEM_FB_NO_STAGE) && r.bytes_direct == 1 << 20 &&
		 !strcmp(iopmem_copy_path(&r), "host-dma") && strstr(r.reason, "stage"),
	      "file -> file without a stage: host-dma, the reason says so, NO_FALLBACK allows it");
	close(dst.fd);
	free(mem);
}

int main(int argc, char **argv)
{
	struct t t = { .dir = argc > 1 ? argv[1] : "." };
	size_t len = 8 << 20;
	uint8_t *data = pattern(len, 7);
	char path[512];
	int fd;

	if (!data || iopmem_ctx_new(&t.ctx, NULL)) {
		printf("not ok - setup: %s\n", iopmem_ctx_error(t.ctx));
		return 1;
	}
	fd = make_file(&t, "src", data, len);
	snprintf(path, sizeof(path), "%s/src", t.dir);
	t.align = dio_align(path);
	printf("# O_DIRECT alignment of %s: %u\n", path, t.align);
	file_to_mem(&t, data, fd, 0, 0, 1);
	file_to_mem(&t, data, fd, 0, 0, 4095);
	file_to_mem(&t, data, fd, 0, 0, (1 << 20) + 3);
	file_to_mem(&t, data, fd, 0, 0, 4 << 20);
	file_to_mem(&t, data, fd, 100, 100, 10000);
	file_to_mem(&t, data, fd, 100, 0, 10000); /* offsets differ modulo any alignment */
	file_to_mem(&t, data, fd, 512, 512, 8192); /* direct from byte 512 where the file allows it */
	mem_to_file(&t, data, 0, 1);
	mem_to_file(&t, data, 4096, (2 << 20) + 7);
	file_to_file(&t, data, fd);
	cancels_and_refusals(&t, data, fd);
	misuse(&t, data, fd);
	descriptors(&t, data);
	short_transfer(&t, data);
	no_dma_files(&t, data, fd);
	close(fd);
	iopmem_ctx_free(t.ctx);
	free(data);
	return t.failed;
}
