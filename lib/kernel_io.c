// SPDX-License-Identifier: MIT
/*
 * The copy engine's third path: iopmem.ko issues the direct I/O between the
 * file and its BAR itself (IOPMEM_IOC_FILE_IO), over its own pages, so no
 * page of the mapping is looked up or pinned per request. Taken by default
 * when one end is a /dev/iopmemN buffer and the other a file; a module or
 * file that cannot do it (old module, no block device under the file, no
 * P2P path, misaligned) hands the rest to the mapping path before any byte
 * has moved, and the result says which path moved what.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <liburing.h>

#include "copy_internal.h"

/* One request: the module's limit, at most qd chunks' worth. */
#define KIO_MAX ((uint64_t)16 << 20)
/* kernel_uring(): no io_uring command here; the module declined (nothing moved). */
#define KIO_NO_RING 1
#define KIO_DECLINED 2

/*
 * plan_kernel() - may the module move this job's P2P part? Sets j->kbuf.
 * @src, @dst: the ends as given.
 */
void plan_kernel(struct job *j, const struct iopmem_end *src, const struct iopmem_end *dst)
{
	const struct iopmem_end *b = src->type == IOPMEM_END_BUF ? src : dst;
	const struct iopmem_end *f = b == src ? dst : src;

	j->kbuf = NULL;
	if ((j->o->flags & IOPMEM_COPY_NO_KERNEL) || j->bounce_all || !j->p2p ||
	    b->type != IOPMEM_END_BUF || f->type != IOPMEM_END_FD ||
	    iopmem_buf_kind(b->buf) != IOPMEM_BUF_IOPMEM)
		return;
	j->kbuf = b->buf;
	j->kbuf_off = b->offset;
	j->kbuf_is_src = b == src;
}

/* Bytes per request: qd chunks' worth, at most the module's limit. */
static uint64_t kio_max(const struct job *j)
{
	uint64_t m = (uint64_t)j->chunk * j->qd;

	return m && m < KIO_MAX ? m : KIO_MAX;
}

/* Errors that mean "not this way": the mapping path gets the bytes instead. */
static int kio_declined(int err)
{
	return err == -ENOTTY || err == -EOPNOTSUPP || err == -EREMOTEIO || err == -EINVAL ||
	       err == -EBUSY || err == -EBADF;
}

/* The file end of the job, and the fd the module's I/O goes to (*fd). */
static const struct side *kio_file(const struct job *j, int *fd)
{
	const struct side *f = j->kbuf_is_src ? &j->dst : &j->src;

	*fd = f->fd_direct >= 0 ? f->fd_direct : f->fd_buffered;
	return f;
}

/* The synchronous ioctl, one request of up to qd chunks at a time. */
static int kernel_ioctl(struct job *j)
{
	int fd;
	const struct side *f = kio_file(j, &fd);
	uint64_t max = kio_max(j);

	while (j->head < j->mid_end && !j->cancelled) {
		uint64_t left = j->mid_end - j->head, n = left < max ? left : max, done;
		unsigned long long pos = f->off + j->head;
		int ret = buf_file_io(j->kbuf, fd, !j->kbuf_is_src, pos, j->kbuf_off + j->head, n, &done);

		if (ret && !j->res->bytes_kernel && kio_declined(ret))
			return 0;
		if (ret)
			return job_fail(j, ret, "%s: iopmem.ko's direct I/O at offset %llu: %s", f->label,
					pos, strerror(-ret));
		if (done != n)
			return job_fail(j, -EIO, "%s: short direct I/O at offset %llu (%llu of %llu bytes)",
					f->label, pos, (unsigned long long)done, (unsigned long long)n);
		if (!j->res->bytes_kernel)
			snprintf(j->res->engine, sizeof(j->res->engine), "iopmem.ko");
		j->head += n;
		j->res->bytes_p2p += n;
		j->res->bytes_kernel += n;
		ret = job_progress(j, n);
		if (ret)
			return ret;
	}
	return j->cancelled ? -ECANCELED : 0;
}

/* The io_uring commands: qd requests of a chunk each in flight. */
struct kring {
	struct io_uring ring;
	const struct side *f;
	int fd;
	uint64_t next;          /* first byte of the job not yet queued */
	unsigned int inflight;
};

/* Bytes of the request that starts at job byte @off. */
static uint64_t kring_len(const struct job *j, uint64_t off)
{
	uint64_t n = j->mid_end - off;

	if (n > j->chunk)
		n = j->chunk;
	return n < KIO_MAX ? n : KIO_MAX;
}

/* Queue the next request. Return: 0, or -EOPNOTSUPP (no command here) or -EBUSY. */
static int kring_queue(struct job *j, struct kring *k)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&k->ring);
	uint64_t n = kring_len(j, k->next);
	int ret;

	if (!sqe)
		return -EBUSY;
	ret = buf_file_io_sqe(j->kbuf, sqe, k->fd, !j->kbuf_is_src, k->f->off + k->next,
			      j->kbuf_off + k->next, n);
	if (ret)
		return ret;
	io_uring_sqe_set_data64(sqe, k->next);
	k->next += n;
	k->inflight++;
	return 0;
}

/* One CQE: the request that started at job byte @off ended with @res. */
static int kring_done(struct job *j, const struct kring *k, uint64_t off, int res)
{
	unsigned long long pos = k->f->off + off, n = kring_len(j, off);

	if (res < 0)
		return job_fail(j, res, "%s: iopmem.ko's direct I/O at offset %llu: %s", k->f->label,
				pos, strerror(-res));
	if ((unsigned long long)res != n)
		return job_fail(j, -EIO, "%s: short direct I/O at offset %llu (%d of %llu bytes)",
				k->f->label, pos, res, n);
	j->res->bytes_p2p += n;
	j->res->bytes_kernel += n;
	return job_progress(j, n);
}

/*
 * Submit what is queued, wait for a completion, reap all there are. A
 * signal (EINTR) asks the progress callback whether to stop; a failed
 * submission leaves what the kernel took to the ring's teardown.
 */
static int kring_reap(struct job *j, struct kring *k, int err)
{
	struct io_uring_cqe *cqe;
	int ret = io_uring_submit_and_wait(&k->ring, 1);

	if (ret == -EINTR) {
		job_progress(j, 0);
		return err;
	}
	if (ret < 0) {
		k->inflight = 0;
		return err ? err : job_fail(j, ret, "io_uring: %s", strerror(-ret));
	}
	while (k->inflight && io_uring_peek_cqe(&k->ring, &cqe) == 0) {
		uint64_t off = io_uring_cqe_get_data64(cqe);
		int r = cqe->res;

		io_uring_cqe_seen(&k->ring, cqe);
		k->inflight--;
		if (!err)
			err = kring_done(j, k, off, r);
	}
	return err;
}

/*
 * The first request goes alone: if the module declines it, nothing has
 * moved and the caller takes another path. Return: KIO_DECLINED, or as
 * kring_reap().
 */
static int kring_first(struct job *j, struct kring *k)
{
	struct io_uring_cqe *cqe;
	int ret, res;

	if (kring_queue(j, k))
		return KIO_NO_RING;
	do
		ret = io_uring_submit_and_wait(&k->ring, 1);
	while (ret == -EINTR);
	if (ret < 0 || (ret = io_uring_peek_cqe(&k->ring, &cqe)) < 0)
		return job_fail(j, ret, "io_uring: %s", strerror(-ret));
	res = cqe->res;
	io_uring_cqe_seen(&k->ring, cqe);
	k->inflight = 0;
	if (res < 0 && kio_declined(res))
		return KIO_DECLINED;
	return kring_done(j, k, j->head, res);
}

/* Return: 0, KIO_NO_RING, KIO_DECLINED (nothing moved), or an error. */
static int kernel_uring(struct job *j)
{
	struct kring k = { .next = j->head };
	int err;

	k.f = kio_file(j, &k.fd);
	if (io_uring_queue_init(j->qd, &k.ring, IORING_SETUP_SQE128))
		return KIO_NO_RING;
	err = kring_first(j, &k);
	if (err)
		goto out;
	snprintf(j->res->engine, sizeof(j->res->engine), "uring_cmd");
	j->queued = 1;
	while (k.inflight || (!err && !j->cancelled && k.next < j->mid_end)) {
		while (!err && !j->cancelled && k.next < j->mid_end && k.inflight < j->qd)
			if (kring_queue(j, &k))
				err = job_fail(j, -EBUSY, "io_uring: no free submission entry");
		/* After a failure too: what is in flight is waited for. */
		if (k.inflight)
			err = kring_reap(j, &k, err);
	}
	if (!err)
		j->head = k.next;
out:
	io_uring_queue_exit(&k.ring);
	return err ? err : j->cancelled ? -ECANCELED : 0;
}

/**
 * engine_kernel() - move [head, mid_end) by I/O iopmem.ko issues.
 * @j: the job, with j->kbuf set by plan_kernel().
 *
 * By the module's io_uring command where it has one (qd requests of a chunk
 * in flight, engine "uring_cmd"), else by its ioctl (engine "iopmem.ko").
 * Advances j->head past what moved. If the module declines the first
 * request, nothing has moved and j->head is unchanged: the caller goes on
 * with engine_direct().
 *
 * Return: 0, -ECANCELED, or a negative errno of the I/O itself.
 */
int engine_kernel(struct job *j)
{
	int ret = kernel_uring(j);

	if (ret == KIO_DECLINED)
		return 0;
	if (ret == KIO_NO_RING)
		return kernel_ioctl(j);
	return ret;
}
