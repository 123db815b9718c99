// SPDX-License-Identifier: MIT
/*
 * iopmem_copy(): plan a copy between files, device memory and host memory,
 * run it (engine.c), and say honestly which path every byte took.
 *
 * Planning decides, before a byte moves, what must go through host RAM: the
 * unaligned head and tail (O_DIRECT needs 4 KiB alignment of offsets, lengths
 * and addresses), everything when a file refuses O_DIRECT or the topology has
 * no P2P path. While running, pages the kernel refuses to DMA to (EREMOTEIO,
 * EFAULT...) send the rest through host RAM too. Each such decision is a
 * fallback flag plus a sentence in the result, and none is taken when the
 * caller said IOPMEM_COPY_NO_FALLBACK: the copy fails instead.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "copy_internal.h"

static void note(struct job *j, unsigned int flag, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Record a fallback and its reason (once per flag). */
static void note(struct job *j, unsigned int flag, const char *fmt, ...)
{
	struct iopmem_copy_result *r = j->res;
	size_t used = strlen(r->reason);
	va_list ap;

	if (r->fallbacks & flag)
		return;
	r->fallbacks |= flag;
	if (used && used + 2 < sizeof(r->reason))
		used += (size_t)snprintf(r->reason + used, sizeof(r->reason) - used, "; ");
	va_start(ap, fmt);
	vsnprintf(r->reason + used, sizeof(r->reason) - used, fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized)
	va_end(ap);
}

/* Size of a regular file or block device; -1 for anything else. */
static int64_t fd_size(int fd)
{
	uint64_t bytes;
	struct stat st;

	if (fstat(fd, &st))
		return -1;
	if (S_ISREG(st.st_mode))
		return st.st_size;
	if (S_ISBLK(st.st_mode) && !ioctl(fd, BLKGETSIZE64, &bytes))
		return (int64_t)bytes;
	return -1;
}

/**
 * iopmem_end_capacity() - how many bytes an end holds.
 * @end: a file or block device (its size), or a buffer (its size).
 *
 * Return: the size, or -1 when it is not known (host memory, pipes...).
 */
int64_t iopmem_end_capacity(const struct iopmem_end *end)
{
	if (end->type == IOPMEM_END_BUF && end->buf)
		return (int64_t)iopmem_buf_size(end->buf);
	return end->type == IOPMEM_END_FD ? fd_size(end->fd) : -1;
}

/* A descriptor of our own on the caller's file: its flags are then ours. */
static int reopen(int fd, int write, int direct)
{
	char path[48];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return open(path, (write ? O_WRONLY : O_RDONLY) | O_CLOEXEC | (direct ? O_DIRECT : 0));
}

static int side_file(struct job *j, struct side *s, const struct iopmem_end *e, int write)
{
	int64_t size = fd_size(e->fd);
	int mode = fcntl(e->fd, F_GETFL);
	struct stat st;

	if (mode < 0 || fstat(e->fd, &st))
		return ctx_fail(j->ctx, -EBADF, "%s: not an open file descriptor", s->label);
	if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))
		return ctx_fail(j->ctx, -ESPIPE, "%s: pipes and sockets cannot be copied (no offsets)", s->label);
	if ((mode & O_ACCMODE) == (write ? O_RDONLY : O_WRONLY))
		return ctx_fail(j->ctx, -EBADF, "%s: the descriptor is not open for %s", s->label,
				write ? "writing" : "reading");
	if (!write && size >= 0 && e->offset + j->len > (uint64_t)size)
		return ctx_fail(j->ctx, -ENODATA, "%s has %lld bytes: %llu bytes from offset %llu are not there",
				s->label, (long long)size, (unsigned long long)j->len,
				(unsigned long long)e->offset);
	if (write && S_ISBLK(st.st_mode) && e->offset + j->len > (uint64_t)size)
		return ctx_fail(j->ctx, -ENOSPC, "%s has %lld bytes: %llu bytes at offset %llu do not fit",
				s->label, (long long)size, (unsigned long long)j->len,
				(unsigned long long)e->offset);
	s->off = e->offset;
	s->fd_buffered = reopen(e->fd, write, 0);
	if (s->fd_buffered < 0)
		return ctx_fail(j->ctx, -errno, "%s: cannot reopen: %s", s->label, strerror(errno));
	s->fd_direct = reopen(e->fd, write, 1);
	if (s->fd_direct < 0)
		note(j, IOPMEM_FB_NO_DIRECT, "the %s cannot be opened with O_DIRECT (%s): its bytes go "
		     "through the page cache", s->label, strerror(errno));
	return 0;
}

static int side_setup(struct job *j, struct side *s, const struct iopmem_end *e, int write)
{
	s->fd_direct = s->fd_buffered = -1;
	s->label = write ? "destination" : "source";
	switch (e->type) {
	case IOPMEM_END_FD:
		return side_file(j, s, e, write);
	case IOPMEM_END_BUF:
		if (!e->buf || e->offset > iopmem_buf_size(e->buf) ||
		    j->len > iopmem_buf_size(e->buf) - e->offset)
			return ctx_fail(j->ctx, -ENOSPC, "%s: %llu bytes at offset %llu do not fit the buffer of %zu",
					s->label, (unsigned long long)j->len,
					(unsigned long long)e->offset, e->buf ? iopmem_buf_size(e->buf) : 0);
		s->mem = (uint8_t *)iopmem_buf_addr(e->buf) + e->offset;
		s->device = 1;
		return 0;
	case IOPMEM_END_MEM:
		if (!e->mem)
			return ctx_fail(j->ctx, -EINVAL, "%s: no host memory given", s->label);
		s->mem = (uint8_t *)e->mem + e->offset;
		return 0;
	}
	return ctx_fail(j->ctx, -EINVAL, "%s: unknown end type %d", s->label, (int)e->type);
}

/* No P2P path between a file's disk and a buffer's device: bounce all of it. */
static void plan_topology(struct job *j, const struct iopmem_end *file, const struct iopmem_buf *buf)
{
	int client = fd_func(j->ctx, file->fd);
	int provider = buf ? iopmem_buf_provider(buf) : -1;
	struct iopmem_verdict v;

	if (client < 0) {
		/*
		 * tmpfs, 9p, loop, network file systems: no device of ours DMAs
		 * the bytes (the kernel would copy them with the CPU even under
		 * O_DIRECT), so say so and do the copy ourselves.
		 */
		j->bounce_all = 1;
		note(j, IOPMEM_FB_NO_DMA, "the %s is not on a PCI storage device: no device can DMA "
		     "it to or from %s", file == j->src_end ? "source" : "destination",
		     iopmem_buf_name(buf));
		return;
	}
	if (provider < 0 || iopmem_p2p_verdict(j->ctx, provider, client, &v))
		return; /* unknown: try, and let the kernel refuse */
	if (v.path != IOPMEM_PATH_NONE)
		return;
	j->bounce_all = 1;
	note(j, IOPMEM_FB_TOPOLOGY, "%s cannot DMA into %s: %s", j->ctx->funcs[client].bdf,
	     iopmem_buf_name(buf), v.reason);
}

/* [head, mid_end) is aligned on both ends; the rest goes through the CPU. */
static void plan_alignment(struct job *j)
{
	const struct side *f = j->src.mem ? &j->dst : &j->src, *o = f == &j->src ? &j->dst : &j->src;
	uint64_t head = (COPY_ALIGN - f->off % COPY_ALIGN) % COPY_ALIGN;
	uint64_t other = o->mem ? (uint64_t)(uintptr_t)o->mem : o->off;

	if (head > j->len)
		head = j->len;
	if ((other + head) % COPY_ALIGN) {
		j->head = j->mid_end = j->len;
		note(j, IOPMEM_FB_UNALIGNED, "source and destination offsets differ modulo %u bytes: "
		     "O_DIRECT cannot move them", COPY_ALIGN);
		return;
	}
	j->head = head;
	j->mid_end = head + (j->len - head) / COPY_ALIGN * COPY_ALIGN;
	if (j->head || j->mid_end < j->len)
		note(j, IOPMEM_FB_UNALIGNED, "%llu bytes at the start and %llu at the end are not "
		     "%u-aligned: they go through host RAM", (unsigned long long)j->head,
		     (unsigned long long)(j->len - j->mid_end), COPY_ALIGN);
}

/* File to file: chunks pass through the stage buffer, or through host RAM. */
static int plan_stage(struct job *j, const struct iopmem_end *src, const struct iopmem_end *dst)
{
	struct iopmem_buf *stage = j->o->stage;

	if (stage) {
		unsigned int fit = (unsigned int)(iopmem_buf_size(stage) / j->chunk);

		if (!fit)
			return ctx_fail(j->ctx, -ENOSPC, "the stage buffer (%zu bytes) is smaller than one chunk (%zu)",
					iopmem_buf_size(stage), j->chunk);
		j->qd = fit < j->qd ? fit : j->qd;
		j->stage = iopmem_buf_addr(stage);
		j->stage_device = 1;
		plan_topology(j, src, stage);
		plan_topology(j, dst, stage);
		return 0;
	}
	j->stage = aligned_alloc(COPY_ALIGN, (size_t)j->qd * j->chunk);
	return j->stage ? 0 : ctx_fail(j->ctx, -ENOMEM, "out of memory for %u chunks", j->qd);
}

static int plan(struct job *j, const struct iopmem_end *src, const struct iopmem_end *dst)
{
	int ret = 0;

	if (j->src.mem && j->dst.mem) {
		j->head = j->mid_end = j->len;
		note(j, IOPMEM_FB_NO_DMA, "neither end is a file: the CPU copies");
	} else {
		if (src->type == IOPMEM_END_BUF)
			plan_topology(j, dst, src->buf);
		if (dst->type == IOPMEM_END_BUF)
			plan_topology(j, src, dst->buf);
		if (!j->src.mem && !j->dst.mem)
			ret = plan_stage(j, src, dst);
		plan_alignment(j);
	}
	if ((!j->src.mem && j->src.fd_direct < 0) || (!j->dst.mem && j->dst.fd_direct < 0))
		j->bounce_all = 1;
	if (j->o->flags & IOPMEM_COPY_FORCE_BOUNCE) {
		j->bounce_all = 1;
		note(j, IOPMEM_FB_FORCED, "bouncing through host RAM was asked for");
	}
	j->p2p = (j->src.mem && j->src.device) || (j->dst.mem && j->dst.device) || j->stage_device;
	if (!ret && (j->o->flags & IOPMEM_COPY_NO_FALLBACK) && j->res->fallbacks)
		ret = ctx_fail(j->ctx, (j->res->fallbacks & IOPMEM_FB_TOPOLOGY) ? -EREMOTEIO : -EINVAL,
			       "not copied: %s; and falling back to host RAM is not allowed",
			       j->res->reason);
	return ret;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int run(struct job *j)
{
	int ret;

	if (j->bounce_all)
		return engine_bounce(j, 0, j->len);
	ret = engine_bounce(j, 0, j->head);
	if (!ret && j->mid_end > j->head)
		ret = engine_direct(j);
	if (!ret)
		ret = engine_bounce(j, j->mid_end, j->len - j->mid_end);
	if (j->refused_err)
		note(j, IOPMEM_FB_REFUSED, "the kernel refused DMA between the file and device "
		     "memory (%s): the rest went through host RAM", strerror(j->refused_err));
	if (!ret && !j->dst.mem && !(j->o->flags & IOPMEM_COPY_NO_SYNC) && fdatasync(j->dst.fd_buffered))
		ret = ctx_fail(j->ctx, -errno, "destination: fdatasync: %s", strerror(errno));
	return ret;
}

static void job_free(struct job *j)
{
	const struct side *sides[] = { &j->src, &j->dst };
	size_t i;

	for (i = 0; i < 2; i++) {
		if (sides[i]->fd_direct >= 0)
			close(sides[i]->fd_direct);
		if (sides[i]->fd_buffered >= 0)
			close(sides[i]->fd_buffered);
	}
	if (!j->stage_device)
		free(j->stage);
	free(j->bounce);
}

/**
 * iopmem_copy() - copy len bytes between two ends, P2P where possible.
 * @ctx: the context (topology, and the error text on failure).
 * @src: where the bytes come from.
 * @dst: where they go.
 * @len: how many.
 * @opts: queue depth, chunk size, flags, stage buffer, progress; NULL for defaults.
 * @res: filled in: bytes by path, fallbacks with their reasons, time taken.
 *
 * A file end is read or written with O_DIRECT through io_uring, so when the
 * other end is device memory the storage device DMAs to or from it directly
 * (bytes_p2p). What cannot go that way goes through host RAM (bytes_bounced,
 * with a reason) unless IOPMEM_COPY_NO_FALLBACK is set. A file destination is
 * fdatasync()ed at the end unless IOPMEM_COPY_NO_SYNC is set.
 *
 * Return: 0; -ECANCELED when the progress callback stopped it; or a negative
 * errno (iopmem_ctx_error() says why). @res->bytes says how much completed;
 * no I/O is left in flight in any case.
 */
int iopmem_copy(struct iopmem_ctx *ctx, const struct iopmem_end *src, const struct iopmem_end *dst,
		uint64_t len, const struct iopmem_copy_opts *opts, struct iopmem_copy_result *res)
{
	static const struct iopmem_copy_opts defaults;
	struct job j = { .ctx = ctx, .res = res, .len = len };
	double start = now();
	int ret;

	memset(res, 0, sizeof(*res));
	snprintf(res->engine, sizeof(res->engine), "cpu");
	j.o = opts ? opts : &defaults;
	j.src_end = src;
	j.qd = j.o->qd ? j.o->qd : IOPMEM_COPY_DEFAULT_QD;
	j.chunk = j.o->chunk ? j.o->chunk : IOPMEM_COPY_DEFAULT_CHUNK;
	if (j.qd > 1024 || j.chunk % COPY_ALIGN || j.chunk > ((size_t)64 << 20))
		return ctx_fail(ctx, -EINVAL, "queue depth must be 1-1024 and chunk a multiple of %u up to 64 MiB",
				COPY_ALIGN);
	ret = side_setup(&j, &j.src, src, 0);
	if (!ret)
		ret = side_setup(&j, &j.dst, dst, 1);
	if (!ret && len)
		ret = plan(&j, src, dst);
	j.bounce = ret || !len ? NULL : aligned_alloc(COPY_ALIGN, j.chunk);
	if (!ret && len && !j.bounce)
		ret = ctx_fail(ctx, -ENOMEM, "out of memory for a %zu-byte bounce buffer", j.chunk);
	if (!ret && len)
		ret = run(&j);
	res->bytes = j.done;
	res->seconds = now() - start;
	job_free(&j);
	return ret;
}

/**
 * iopmem_copy_path() - the path a copy's bytes took, in one word.
 * @res: a result from iopmem_copy().
 *
 * Return: "p2p", "host-dma" (O_DIRECT to/from host memory), "bounce", the
 * mixes "p2p+bounce" and "host-dma+bounce", or "none" when nothing moved.
 */
const char *iopmem_copy_path(const struct iopmem_copy_result *res)
{
	if (!res->bytes)
		return "none";
	if (res->bytes_p2p && res->bytes_bounced)
		return "p2p+bounce";
	if (res->bytes_direct && res->bytes_bounced)
		return "host-dma+bounce";
	if (res->bytes_p2p)
		return "p2p";
	return res->bytes_direct ? "host-dma" : "bounce";
}
