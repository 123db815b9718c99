// SPDX-License-Identifier: MIT
/*
 * The copy engine's two paths.
 *
 * Direct: io_uring reads/writes with O_DIRECT whose user buffer is the other
 * end's memory, so the storage device DMAs straight into (or out of) device
 * memory; a file-to-file copy passes each chunk through a stage slot, read
 * then written. Up to qd chunks are in flight. Without io_uring (disabled,
 * seccomp) the same chunks go one at a time through pread/pwrite.
 *
 * Bounce: one chunk at a time through a host RAM buffer, copied by the CPU.
 * It serves unaligned heads and tails, files that refuse O_DIRECT, and pages
 * the kernel refuses to DMA to, and it is what the result reports as bounced.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <liburing.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "copy_internal.h"

/* Errors that mean "not these pages", not "the storage failed". */
static int dma_refusal(int err)
{
	return err == -EREMOTEIO || err == -EFAULT || err == -EOPNOTSUPP || err == -EINVAL;
}

/*
 * Record a failure in the context, unless one was recorded already: with
 * chunks in flight a second failure often follows the first, and the words
 * must stay those of the errno the copy returns (the first).
 */
int job_fail(struct job *j, int err, const char *fmt, ...)
{
	va_list ap;

	if (j->err)
		return err;
	j->err = err;
	va_start(ap, fmt);
	ctx_vfail(j->ctx, err, fmt, ap);
	va_end(ap);
	return err;
}

int job_progress(struct job *j, uint64_t n)
{
	j->done += n;
	if (j->o->progress && !j->cancelled &&
	    j->o->progress(j->o->progress_arg, j->done, j->len))
		j->cancelled = 1;
	return j->cancelled ? -ECANCELED : 0;
}

/*
 * A system call or io_uring wait returned EINTR: a signal came. The caller
 * may want to stop (its handler cannot say so any other way while the I/O
 * is stuck in the kernel), so ask before retrying. Return: as job_progress().
 */
static int job_interrupted(struct job *j)
{
	return job_progress(j, 0);
}

/*
 * A read or write that returned res (< 0: -errno, 0: end of file) at file
 * offset off of side s: the error, in words. Both paths report through here.
 */
static int io_fail(struct job *j, const struct side *s, int write, uint64_t off, int res)
{
	if (res == 0)
		return job_fail(j, -ENODATA, "%s ends at byte %" PRIu64 ", before the %" PRIu64
				" bytes asked for", s->label, off, j->len);
	return job_fail(j, res, "%s: %s at byte %" PRIu64 ": %s", s->label,
			write ? "write" : "read", off, strerror(-res));
}

/* The whole of n bytes, by a direct descriptor when aligned, else buffered. */
static int file_io(struct job *j, const struct side *s, int write, uint8_t *mem, uint64_t pos,
		   uint64_t n)
{
	uint64_t off = s->off + pos, done = 0;
	int aligned = !(off % j->align) && !(n % j->align) && !((uintptr_t)mem % j->align) &&
		      s->fd_direct >= 0;
	int fd = aligned ? s->fd_direct : s->fd_buffered;

	if (fd < 0)
		return job_fail(j, -EINVAL, "%s: %" PRIu64 " bytes at byte %" PRIu64 " are not aligned for "
				"its O_DIRECT descriptor, and it could not be reopened without "
				"O_DIRECT: %s", s->label, n, off, strerror(s->reopen_err));
	while (done < n) {
		ssize_t r = write ? pwrite(fd, mem + done, n - done, (off_t)(off + done))
				  : pread(fd, mem + done, n - done, (off_t)(off + done));

		if (r < 0 && errno == EINTR) {
			if (job_interrupted(j))
				return -ECANCELED;
			continue;
		}
		if (r <= 0)
			return io_fail(j, s, write, off + done, r < 0 ? -errno : 0);
		done += (uint64_t)r;
	}
	return 0;
}

/**
 * engine_bounce() - move [pos, pos + n) through host RAM with the CPU.
 * @j: the job.
 * @pos: offset in the copy.
 * @n: bytes.
 *
 * Return: 0 or a negative errno (the context has the words).
 */
int engine_bounce(struct job *j, uint64_t pos, uint64_t n)
{
	while (n) {
		uint64_t k = n < j->chunk ? n : j->chunk;
		int ret = 0;

		if (j->src.mem)
			memcpy(j->bounce, j->src.mem + pos, k);
		else
			ret = file_io(j, &j->src, 0, j->bounce, pos, k);
		if (!ret && j->dst.mem)
			memcpy(j->dst.mem + pos, j->bounce, k);
		else if (!ret)
			ret = file_io(j, &j->dst, 1, j->bounce, pos, k);
		if (ret)
			return ret;
		j->res->bytes_bounced += k;
		ret = job_progress(j, k);
		if (ret)
			return ret;
		pos += k;
		n -= k;
	}
	return 0;
}

/* One chunk on its way: read into its memory, then (file to file) written out. */
struct slot {
	uint64_t pos;
	uint32_t n, done;
	uint32_t cpu;   /* bytes of it the page cache moved (a short transfer's rest) */
	int writing;
	uint8_t *mem;
};

static const struct side *slot_side(const struct job *j, const struct slot *s)
{
	return s->writing ? &j->dst : &j->src;
}

static void slot_prep(struct job *j, struct io_uring_sqe *sqe, struct slot *s)
{
	const struct side *side = slot_side(j, s);

	if (s->writing)
		io_uring_prep_write(sqe, side->fd_direct, s->mem + s->done, s->n - s->done,
				    side->off + s->pos + s->done);
	else
		io_uring_prep_read(sqe, side->fd_direct, s->mem + s->done, s->n - s->done,
				   side->off + s->pos + s->done);
}

/* The memory a chunk is DMA'd to or from: the memory end, or a stage slot. */
static void slot_start(struct job *j, struct slot *s, unsigned int idx, uint64_t pos)
{
	uint64_t left = j->mid_end - pos;

	s->pos = pos;
	s->n = (uint32_t)(left < j->chunk ? left : j->chunk);
	s->done = 0;
	s->cpu = 0;
	s->writing = j->src.mem != NULL;
	s->mem = j->src.mem ? j->src.mem + pos : j->dst.mem ? j->dst.mem + pos
							    : j->stage + (size_t)idx * j->chunk;
}

/* Refused pages: bounce this chunk and, from now on, every chunk. */
static int slot_refused(struct job *j, struct slot *s, int err)
{
	if (!j->refused_err)
		j->refused_err = -err;
	if (j->o->flags & IOPMEM_COPY_NO_FALLBACK)
		return job_fail(j, -EREMOTEIO,
				"the kernel refused DMA between the %s and device memory (%s), "
				"and falling back to host RAM is not allowed",
				slot_side(j, s)->label, strerror(-err));
	j->bounce_all = 1;
	err = engine_bounce(j, s->pos, s->n);
	return err ? err : 1;
}

/*
 * A direct transfer ended short (the file ended, or the device split it) at
 * an offset O_DIRECT cannot continue from: the rest of the chunk goes through
 * the page cache, counted as bounced. (Resubmitting it unaligned would only
 * fail with EINVAL, which is no refusal of the pages.)
 */
static int slot_short(struct job *j, struct slot *s)
{
	const struct side *side = slot_side(j, s);
	uint32_t rest = s->n - s->done;
	int ret;

	if (j->o->flags & IOPMEM_COPY_NO_FALLBACK)
		return job_fail(j, -EIO, "%s: a direct %s ended short at byte %" PRIu64 ", unaligned, and "
				"falling back to the page cache is not allowed", side->label,
				s->writing ? "write" : "read", side->off + s->pos + s->done);
	ret = file_io(j, side, s->writing, s->mem + s->done, s->pos + s->done, rest);
	if (ret)
		return ret;
	job_note(j, IOPMEM_FB_UNALIGNED, "a direct %s of the %s ended short at an unaligned byte: "
		 "the rest of that chunk went through the page cache", s->writing ? "write" : "read",
		 side->label);
	s->cpu = s->cpu + rest < s->n ? s->cpu + rest : s->n;
	s->done = s->n;
	return 0;
}

/*
 * A completion for slot s. Return: 1 the slot is free, 0 submit the rest of
 * it again, or a negative errno.
 */
static int slot_complete(struct job *j, struct slot *s, int res)
{
	if (res == -EINTR || res == -EAGAIN)
		return 0;
	if (res < 0 && j->p2p && dma_refusal(res))
		return slot_refused(j, s, res);
	if (res <= 0)
		return io_fail(j, slot_side(j, s), s->writing, slot_side(j, s)->off + s->pos + s->done, res);
	s->done += (uint32_t)res;
	if (s->done < s->n && s->done % j->align) {
		res = slot_short(j, s);
		if (res)
			return res;
	}
	if (s->done < s->n)
		return 0;
	if (!s->writing && !j->dst.mem) {
		s->writing = 1; /* file to file: the chunk is staged, now write it out */
		s->done = 0;
		return 0;
	}
	if (j->p2p)
		j->res->bytes_p2p += s->n - s->cpu;
	else
		j->res->bytes_direct += s->n - s->cpu;
	j->res->bytes_bounced += s->cpu;
	return job_progress(j, s->n) ? -ECANCELED : 1;
}

/* Without io_uring: the same chunk, one system call at a time. */
static int slot_run_sync(struct job *j, struct slot *s)
{
	int r;

	do {
		const struct side *side = slot_side(j, s);
		ssize_t n = s->writing ? pwrite(side->fd_direct, s->mem + s->done, s->n - s->done,
					       (off_t)(side->off + s->pos + s->done))
				       : pread(side->fd_direct, s->mem + s->done, s->n - s->done,
					       (off_t)(side->off + s->pos + s->done));
		int res = n < 0 ? -errno : (int)n;

		if (res == -EINTR && job_interrupted(j))
			return -ECANCELED;
		r = slot_complete(j, s, res);
	} while (r == 0);
	return r < 0 ? r : 0;
}

struct engine {
	struct io_uring ring;
	int uring;
	struct slot *slots;
	unsigned int *free_slots;
	unsigned int nfree;
	unsigned int inflight;
	int broken;     /* submitting failed: only wait for what the kernel has */
};

static int engine_submit(struct job *j, struct engine *e, unsigned int idx)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&e->ring);

	if (!sqe)
		return job_fail(j, -EBUSY, "io_uring submission queue full");
	slot_prep(j, sqe, &e->slots[idx]);
	io_uring_sqe_set_data64(sqe, idx);
	return 0;
}

/* Start chunks while slots are free; bounce them instead once told to. */
static int engine_fill(struct job *j, struct engine *e, uint64_t *next)
{
	int err = 0;

	while (!err && !j->cancelled && *next < j->mid_end && e->nfree) {
		unsigned int idx;

		if (j->bounce_all) {
			uint64_t n = j->mid_end - *next < j->chunk ? j->mid_end - *next : j->chunk;

			err = engine_bounce(j, *next, n);
			*next += n;
			continue;
		}
		idx = e->free_slots[--e->nfree];
		slot_start(j, &e->slots[idx], idx, *next);
		*next += e->slots[idx].n;
		if (!e->uring) {
			err = slot_run_sync(j, &e->slots[idx]);
			e->free_slots[e->nfree++] = idx;
			continue;
		}
		err = engine_submit(j, e, idx);
		if (err)
			e->free_slots[e->nfree++] = idx;
		else
			e->inflight++;
	}
	return err;
}

/*
 * Submit what is queued and wait for a completion. When submitting fails
 * (not EINTR), the queued requests never reach the kernel and never
 * complete: they stop counting, the copy fails, and only what the kernel
 * took is waited for. A wait that fails too leaves the rest to the ring's
 * teardown (io_uring_queue_exit() cancels and waits). Return: err, or the
 * first failure.
 */
static int engine_wait(struct job *j, struct engine *e, int err)
{
	struct io_uring_cqe *cqe;
	int ret = e->broken ? io_uring_wait_cqe(&e->ring, &cqe) : io_uring_submit_and_wait(&e->ring, 1);

	if (ret == -EINTR)
		job_interrupted(j); /* a stop now means no new requests; those in flight are waited for */
	if (ret >= 0 || ret == -EINTR)
		return err;
	if (!e->broken) {
		unsigned int lost = io_uring_sq_ready(&e->ring);

		e->broken = 1;
		e->inflight -= lost < e->inflight ? lost : e->inflight;
	} else {
		e->inflight = 0;
	}
	return err ? err : job_fail(j, ret, "io_uring: %s", strerror(-ret));
}

/* Reap what completed; a failure stops new work but in-flight I/O is waited for. */
static int engine_reap(struct job *j, struct engine *e, int err)
{
	struct io_uring_cqe *cqe;

	err = engine_wait(j, e, err);
	while (e->inflight && io_uring_peek_cqe(&e->ring, &cqe) == 0) {
		unsigned int idx = (unsigned int)io_uring_cqe_get_data64(cqe);
		int r = cqe->res;

		io_uring_cqe_seen(&e->ring, cqe);
		r = slot_complete(j, &e->slots[idx], r);
		if (r == 0 && !err && !j->cancelled && !e->broken) {
			r = engine_submit(j, e, idx);
			if (!r)
				continue;
		}
		e->inflight--;
		e->free_slots[e->nfree++] = idx;
		if (r < 0 && !err)
			err = r;
	}
	return err;
}

/**
 * engine_direct() - move [head, mid_end) by O_DIRECT, qd chunks in flight.
 * @j: the job, planned by iopmem_copy().
 *
 * Return: 0, -ECANCELED when the progress callback said stop, or a negative
 * errno. In every case no I/O is left in flight.
 */
int engine_direct(struct job *j)
{
	struct engine e = { .nfree = j->qd };
	uint64_t next = j->head;
	unsigned int i;
	int err = 0;

	e.slots = calloc(j->qd, sizeof(*e.slots));
	e.free_slots = calloc(j->qd, sizeof(*e.free_slots));
	if (!e.slots || !e.free_slots) {
		free(e.slots);
		free(e.free_slots);
		return job_fail(j, -ENOMEM, "out of memory");
	}
	for (i = 0; i < j->qd; i++)
		e.free_slots[i] = i;
	e.uring = io_uring_queue_init(j->qd, &e.ring, 0) == 0;
	snprintf(j->res->engine, sizeof(j->res->engine), "%s", e.uring ? "io_uring" : "pread/pwrite");
	j->queued = e.uring;
	while (e.inflight || (!err && !j->cancelled && next < j->mid_end)) {
		if (!err)
			err = engine_fill(j, &e, &next);
		if (e.inflight)
			err = engine_reap(j, &e, err);
	}
	if (e.uring)
		io_uring_queue_exit(&e.ring);
	free(e.slots);
	free(e.free_slots);
	return err ? err : j->cancelled ? -ECANCELED : 0;
}
