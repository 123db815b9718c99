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

#include "copy_internal.h"

/* One request: the module's limit, at most qd chunks' worth. */
#define KIO_MAX ((uint64_t)16 << 20)

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

/**
 * engine_kernel() - move [head, mid_end) by I/O iopmem.ko issues.
 * @j: the job, with j->kbuf set by plan_kernel().
 *
 * Advances j->head past what moved. If the module declines the first
 * request, nothing has moved and j->head is unchanged: the caller goes on
 * with engine_direct().
 *
 * Return: 0, -ECANCELED, or a negative errno of the I/O itself.
 */
int engine_kernel(struct job *j)
{
	const struct side *f = j->kbuf_is_src ? &j->dst : &j->src;
	int fd = f->fd_direct >= 0 ? f->fd_direct : f->fd_buffered;
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
