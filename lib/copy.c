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

/* Record a fallback and its reason (once per flag). */
void job_note(struct job *j, unsigned int flag, const char *fmt, ...)
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

/*
 * A second descriptor on the caller's file, with or without O_DIRECT (which
 * the caller's may lack, or have). Through /proc/self/fd: where that fails
 * (no /proc, a descriptor handed over by a more privileged process) the
 * copy goes on without it, see side_file().
 */
static int reopen(int fd, int write, int direct)
{
	char path[48];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return open(path, (write ? O_WRONLY : O_RDONLY) | O_CLOEXEC | (direct ? O_DIRECT : 0));
}

/*
 * The file's O_DIRECT alignment of offsets, lengths and memory (the larger of
 * the two), as statx() reports it (Linux 6.1+); COPY_ALIGN where it does not
 * say; 0 when the file system says it does no direct I/O.
 */
static unsigned int dio_align(int fd)
{
	struct statx sx;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &sx) || !(sx.stx_mask & STATX_DIOALIGN))
		return COPY_ALIGN;
	if (!sx.stx_dio_offset_align)
		return 0;
	return sx.stx_dio_offset_align > sx.stx_dio_mem_align ? sx.stx_dio_offset_align
							      : sx.stx_dio_mem_align;
}

/*
 * [offset, offset + len) must be a range a file offset can express: no
 * wrap-around of the sum, nothing past the largest off_t.
 */
static int range_fits(struct job *j, const struct iopmem_end *e, const char *label)
{
	uint64_t max = e->type == IOPMEM_END_FD ? (uint64_t)INT64_MAX : UINT64_MAX;

	if (e->offset <= max && j->len <= max - e->offset)
		return 0;
	return ctx_fail(j->ctx, -EINVAL, "%s: %llu bytes at offset %llu run past the largest offset (%llu)",
			label, (unsigned long long)j->len, (unsigned long long)e->offset,
			(unsigned long long)max);
}

/*
 * A file end uses the caller's descriptor as it is (its access mode, its
 * permissions: never reopened for what it already does) and adds a reopened
 * one only for the other kind of I/O: O_DIRECT for the aligned middle when the
 * caller's is buffered, the page cache for unaligned edges when the caller's
 * is O_DIRECT. A failed O_DIRECT reopen is a fallback with its reason.
 */
static int side_descriptors(struct job *j, struct side *s, int fd, int mode, int write)
{
	s->align = dio_align(fd);
	if (mode & O_DIRECT) {
		s->fd_direct = fd;
		s->fd_buffered = reopen(fd, write, 0);
		s->own_buffered = s->fd_buffered >= 0;
		s->reopen_err = s->own_buffered ? 0 : errno;
		s->align = s->align ? s->align : COPY_ALIGN;
		return 0;
	}
	s->fd_buffered = fd;
	if (!s->align) {
		job_note(j, IOPMEM_FB_NO_DIRECT, "the %s's file system does no direct I/O: its bytes go "
			 "through the page cache", s->label);
		return 0;
	}
	s->fd_direct = reopen(fd, write, 1);
	s->own_direct = s->fd_direct >= 0;
	if (s->fd_direct < 0)
		job_note(j, IOPMEM_FB_NO_DIRECT, "the %s cannot be opened with O_DIRECT (%s): its bytes go "
			 "through the page cache", s->label, strerror(errno));
	return 0;
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
	if (write && (mode & O_APPEND))
		return ctx_fail(j->ctx, -EINVAL, "%s: the descriptor is open with O_APPEND: writes would "
				"land at the end, not at offset %llu", s->label,
				(unsigned long long)e->offset);
	if (!write && size >= 0 && e->offset + j->len > (uint64_t)size)
		return ctx_fail(j->ctx, -ENODATA, "%s has %lld bytes: %llu bytes from offset %llu are not there",
				s->label, (long long)size, (unsigned long long)j->len,
				(unsigned long long)e->offset);
	if (write && S_ISBLK(st.st_mode) && e->offset + j->len > (uint64_t)size)
		return ctx_fail(j->ctx, -ENOSPC, "%s has %lld bytes: %llu bytes at offset %llu do not fit",
				s->label, (long long)size, (unsigned long long)j->len,
				(unsigned long long)e->offset);
	s->off = e->offset;
	return side_descriptors(j, s, e->fd, mode, write);
}

static int side_setup(struct job *j, struct side *s, const struct iopmem_end *e, int write)
{
	s->fd_direct = s->fd_buffered = -1;
	s->label = write ? "destination" : "source";
	if (range_fits(j, e, s->label))
		return -EINVAL;
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

/* The same file (or block device) at both ends? */
static int same_file(int a, int b)
{
	struct stat x, y;

	if (fstat(a, &x) || fstat(b, &y))
		return 0;
	if (S_ISBLK(x.st_mode) && S_ISBLK(y.st_mode))
		return x.st_rdev == y.st_rdev;
	return x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

/*
 * Copying a range onto an overlapping range of the same bytes would read
 * what it already overwrote (chunks run in any order): refuse, as cp does.
 * Disjoint ranges of one file are fine.
 */
static int check_overlap(struct job *j, const struct iopmem_end *src, const struct iopmem_end *dst)
{
	uint64_t a, b;

	if (src->type == IOPMEM_END_FD && dst->type == IOPMEM_END_FD && same_file(src->fd, dst->fd)) {
		a = src->offset;
		b = dst->offset;
	} else if (j->src.mem && j->dst.mem) {
		a = (uint64_t)(uintptr_t)j->src.mem;
		b = (uint64_t)(uintptr_t)j->dst.mem;
	} else {
		return 0;
	}
	if (!j->len || a >= b + j->len || b >= a + j->len)
		return 0;
	return ctx_fail(j->ctx, -EINVAL, "source and destination are the same %s and the ranges overlap "
			"(%llu bytes from offset %llu onto offset %llu): the copy would read bytes it "
			"already overwrote", src->type == IOPMEM_END_FD ? "file" : "memory",
			(unsigned long long)j->len, (unsigned long long)src->offset,
			(unsigned long long)dst->offset);
}

/*
 * A file no device DMAs (tmpfs, 9p, NFS...): O_DIRECT would only make the
 * kernel copy with the CPU, so the CPU path does it and says so.
 */
static void plan_no_dma(struct job *j, const struct iopmem_end *e, const char *label)
{
	const char *on = e->type == IOPMEM_END_FD ? fd_no_dma(e->fd) : NULL;

	if (!on)
		return;
	j->bounce_all = 1;
	job_note(j, IOPMEM_FB_NO_DMA, "the %s is %s%s: no device DMAs its bytes, the CPU copies them",
		 label, strncmp(on, "a ", 2) ? "on " : "", on);
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
		job_note(j, IOPMEM_FB_NO_DMA, "the %s is not on a PCI storage device: no device can DMA "
		     "it to or from %s", file == j->src_end ? "source" : "destination",
		     iopmem_buf_name(buf));
		return;
	}
	if (provider < 0 || iopmem_p2p_verdict(j->ctx, provider, client, &v))
		return; /* unknown: try, and let the kernel refuse */
	if (v.path != IOPMEM_PATH_NONE)
		return;
	j->bounce_all = 1;
	job_note(j, IOPMEM_FB_TOPOLOGY, "%s cannot DMA into %s: %s", j->ctx->funcs[client].bdf,
	     iopmem_buf_name(buf), v.reason);
}

/* [head, mid_end) is aligned on both ends; the rest goes through the CPU. */
static void plan_alignment(struct job *j)
{
	const struct side *f = j->src.mem ? &j->dst : &j->src, *o = f == &j->src ? &j->dst : &j->src;
	uint64_t head = (j->align - f->off % j->align) % j->align;
	uint64_t other = o->mem ? (uint64_t)(uintptr_t)o->mem : o->off;

	if (head > j->len)
		head = j->len;
	if ((other + head) % j->align) {
		j->head = j->mid_end = j->len;
		job_note(j, IOPMEM_FB_UNALIGNED, "source and destination offsets differ modulo %u bytes: "
			 "O_DIRECT cannot move them", j->align);
		return;
	}
	j->head = head;
	j->mid_end = head + (j->len - head) / j->align * j->align;
	if (j->head || j->mid_end < j->len)
		job_note(j, IOPMEM_FB_UNALIGNED, "%llu bytes at the start and %llu at the end are not "
			 "%u-aligned: they go through host RAM", (unsigned long long)j->head,
			 (unsigned long long)(j->len - j->mid_end), j->align);
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
	if (!j->bounce_all)
		job_note(j, IOPMEM_FB_NO_STAGE, "file to file without a device stage buffer: the bytes "
			 "pass through host RAM (a stage buffer, iopmem copy --via BUF, keeps them P2P)");
	j->stage = aligned_alloc(j->align > COPY_ALIGN ? j->align : COPY_ALIGN, (size_t)j->qd * j->chunk);
	return j->stage ? 0 : ctx_fail(j->ctx, -ENOMEM, "out of memory for %u chunks of %zu bytes",
				       j->qd, j->chunk);
}

static int plan(struct job *j, const struct iopmem_end *src, const struct iopmem_end *dst)
{
	int ret = 0;

	if (j->src.mem && j->dst.mem) {
		j->head = j->mid_end = j->len;
		job_note(j, IOPMEM_FB_NO_DMA, "neither end is a file: the CPU copies");
	} else {
		plan_no_dma(j, src, "source");
		plan_no_dma(j, dst, "destination");
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
		job_note(j, IOPMEM_FB_FORCED, "bouncing through host RAM was asked for");
	}
	j->p2p = (j->src.mem && j->src.device) || (j->dst.mem && j->dst.device) || j->stage_device;
	plan_kernel(j, src, dst);
	/* Without a stage the bytes still move by DMA (host-dma): that is no bounce. */
	if (!ret && (j->o->flags & IOPMEM_COPY_NO_FALLBACK) && (j->res->fallbacks & ~IOPMEM_FB_NO_STAGE))
		ret = ctx_fail(j->ctx, (j->res->fallbacks & IOPMEM_FB_TOPOLOGY) ? -EREMOTEIO : -EINVAL,
			       "not copied: %s; and falling back to host RAM is not allowed",
			       j->res->reason);
	return ret;
}

/*
 * The alignment both file ends need, and chunk and queue depth cut to the
 * copy: a 10 MB copy with --qd 1024 --chunk 64M needs 10 MB of staging, not
 * 64 GiB. Chunks stay multiples of the alignment (and of COPY_ALIGN).
 */
static void settle_sizes(struct job *j)
{
	uint64_t span, chunks;

	j->align = j->src.align > j->dst.align ? j->src.align : j->dst.align;
	j->align = j->align ? j->align : COPY_ALIGN;
	if (j->chunk % j->align)
		j->chunk = (j->chunk / j->align + 1) * j->align;
	span = j->align > COPY_ALIGN ? j->align : COPY_ALIGN;
	span = (j->len + span - 1) / span * span;
	if (span && j->chunk > span)
		j->chunk = (size_t)span;
	chunks = (j->len + j->chunk - 1) / j->chunk;
	if (chunks < j->qd)
		j->qd = chunks ? (unsigned int)chunks : 1;
}

/* Input structures' reserved words must be zero (libiopmem.h). */
static int zeroed(const uint64_t *w, size_t size)
{
	size_t i;

	for (i = 0; i < size / sizeof(*w); i++)
		if (w[i])
			return 0;
	return 1;
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
	if (!ret && j->kbuf && j->mid_end > j->head)
		ret = engine_kernel(j);
	if (!ret && j->mid_end > j->head)
		ret = engine_direct(j);
	if (!ret)
		ret = engine_bounce(j, j->mid_end, j->len - j->mid_end);
	if (j->refused_err)
		job_note(j, IOPMEM_FB_REFUSED, "the kernel refused DMA between the file and device "
		     "memory (%s): the rest went through host RAM", strerror(j->refused_err));
	if (!ret && !j->dst.mem && !(j->o->flags & IOPMEM_COPY_NO_SYNC) &&
	    fdatasync(j->dst.fd_buffered >= 0 ? j->dst.fd_buffered : j->dst.fd_direct))
		ret = ctx_fail(j->ctx, -errno, "destination: fdatasync: %s", strerror(errno));
	return ret;
}

static void job_free(struct job *j)
{
	const struct side *sides[] = { &j->src, &j->dst };
	size_t i;

	for (i = 0; i < 2; i++) {
		if (sides[i]->own_direct)
			close(sides[i]->fd_direct);
		if (sides[i]->own_buffered)
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
	if (!zeroed(src->reserved, sizeof(src->reserved)) || !zeroed(dst->reserved, sizeof(dst->reserved)) ||
	    !zeroed(j.o->reserved, sizeof(j.o->reserved)))
		return ctx_fail(ctx, -EINVAL, "reserved fields of the ends or options are not zero: "
				"zero-initialise them (this library may not know what they ask for)");
	j.qd = j.o->qd ? j.o->qd : IOPMEM_COPY_DEFAULT_QD;
	j.chunk = j.o->chunk ? j.o->chunk : IOPMEM_COPY_DEFAULT_CHUNK;
	if (j.qd > 1024 || j.chunk % COPY_ALIGN || j.chunk > ((size_t)64 << 20))
		return ctx_fail(ctx, -EINVAL, "queue depth must be 1-1024 and chunk a multiple of %u up to 64 MiB",
				COPY_ALIGN);
	ret = side_setup(&j, &j.src, src, 0);
	if (!ret)
		ret = side_setup(&j, &j.dst, dst, 1);
	if (!ret)
		ret = check_overlap(&j, src, dst);
	settle_sizes(&j);
	if (!ret && len)
		ret = plan(&j, src, dst);
	j.bounce = ret || !len ? NULL : aligned_alloc(j.align > COPY_ALIGN ? j.align : COPY_ALIGN, j.chunk);
	if (!ret && len && !j.bounce)
		ret = ctx_fail(ctx, -ENOMEM, "out of memory for a %zu-byte bounce buffer", j.chunk);
	if (!ret && len)
		ret = run(&j);
	if (ret == -ECANCELED)
		ctx_fail(ctx, ret, "cancelled (the progress callback said stop) after %llu of %llu bytes",
			 (unsigned long long)j.done, (unsigned long long)len);
	res->bytes = j.done;
	res->seconds = now() - start;
	res->qd = j.queued ? j.qd : 1;
	res->chunk = j.chunk;
	res->align = j.src.mem && j.dst.mem ? 0 : j.align;
	job_free(&j);
	return ret;
}

/**
 * iopmem_copy_path() - the path a copy's bytes took, in one word.
 * @res: a result from iopmem_copy().
 *
 * Return: "kernel" (P2P by I/O iopmem.ko issued), "p2p" (P2P through the
 * buffer's mapping), "host-dma" (O_DIRECT to/from host memory), "bounce", the
 * mixes "kernel+bounce", "p2p+bounce" and "host-dma+bounce", or "none" when
 * nothing moved.
 */
const char *iopmem_copy_path(const struct iopmem_copy_result *res)
{
	if (!res->bytes)
		return "none";
	if (res->bytes_kernel && res->bytes_kernel == res->bytes_p2p)
		return res->bytes_bounced ? "kernel+bounce" : "kernel";
	if (res->bytes_p2p && res->bytes_bounced)
		return "p2p+bounce";
	if (res->bytes_direct && res->bytes_bounced)
		return "host-dma+bounce";
	if (res->bytes_p2p)
		return "p2p";
	return res->bytes_direct ? "host-dma" : "bounce";
}
