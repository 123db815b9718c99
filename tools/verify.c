// SPDX-License-Identifier: MIT
/*
 * iopmem copy --verify: read both ranges back into host RAM (O_DIRECT where
 * it can, through the same copy engine) and compare them, telling a range
 * that could not be read back from one that differs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char *const verify_names[] = { "", "match", "mismatch", "unreadable", "interrupted" };

/*
 * Read n bytes of end e, from pos on in the copy, into mem. Return: 0,
 * -ECANCELED when stop said so, or another negative errno after saying why,
 * naming the end (which = "source" or "destination") and the file.
 */
static int read_back(struct iopmem_ctx *ctx, struct opts *o, const struct cli_end *e,
		     const char *which, uint64_t pos, void *mem, uint64_t n,
		     int (*stop)(void *, uint64_t, uint64_t))
{
	struct iopmem_copy_opts co = { .flags = IOPMEM_COPY_NO_SYNC, .progress = stop };
	struct iopmem_end from = e->end, to = { .type = IOPMEM_END_MEM, .mem = mem };
	struct iopmem_copy_result r;
	const char *msg;
	int ret;

	if (!e->readable)
		return cli_fail(o, -EACCES, "iopmem copy: verify: cannot read the %s back: %s could only be "
				"opened for writing (%s)", which, e->name, strerror(EACCES));
	from.offset += pos;
	ret = iopmem_copy(ctx, &from, &to, n, &co, &r);
	if (ret == -ECANCELED || (ret && stop(NULL, 0, 0)))
		return -ECANCELED;
	if (!ret)
		return 0;
	/* The end read from is the engine's "source" here, whichever end it is. */
	msg = iopmem_ctx_error(ctx);
	if (!strncmp(msg, "source", 6))
		return cli_fail(o, ret, "iopmem copy: verify: cannot read the %s back: %s%s", which,
				e->name, msg + 6);
	return cli_fail(o, ret, "iopmem copy: verify: cannot read the %s back: %s", which, msg);
}

/* The first i < n where a and b differ (n is never reached: they differ). */
static uint64_t first_difference(const uint8_t *a, const uint8_t *b, uint64_t n)
{
	uint64_t i = 0;

	while (i < n && a[i] == b[i])
		i++;
	return i;
}

/**
 * copy_verify() - compare what a copy wrote with what it read.
 * @ctx: the context.
 * @o: the options (a failure's words are kept there).
 * @s: the source end.
 * @d: the destination end.
 * @len: the bytes copied.
 * @stop: says whether to stop (a caught signal); called with NULL, 0, 0 too.
 * @v: the verdict, filled in.
 */
void copy_verify(struct iopmem_ctx *ctx, struct opts *o, const struct cli_end *s,
		 const struct cli_end *d, uint64_t len, int (*stop)(void *, uint64_t, uint64_t),
		 struct verify_result *v)
{
	const uint64_t max = (uint64_t)16 << 20;
	const size_t piece = (size_t)(len < max ? (len + 4095) / 4096 * 4096 : max);
	uint8_t *a, *b;
	uint64_t pos;

	v->state = V_MATCH;
	if (!len)
		return;
	a = aligned_alloc(4096, piece);
	b = aligned_alloc(4096, piece);
	if (!a || !b) {
		cli_fail(o, 0, "iopmem copy: verify: out of memory for 2 x %zu bytes", piece);
		v->state = V_UNREADABLE;
		free(a);
		free(b);
		return;
	}
	/* Zeroed: io_uring fills them behind valgrind's back. */
	memset(a, 0, piece);
	memset(b, 0, piece);
	for (pos = 0; v->state == V_MATCH && pos < len; pos += piece) {
		uint64_t n = len - pos < piece ? len - pos : piece;
		int ret = read_back(ctx, o, s, "source", pos, a, n, stop);

		if (!ret)
			ret = read_back(ctx, o, d, "destination", pos, b, n, stop);
		if (ret) {
			v->state = ret == -ECANCELED ? V_INTERRUPTED : V_UNREADABLE;
		} else if (memcmp(a, b, n)) {
			v->state = V_MISMATCH;
			v->at = pos + first_difference(a, b, n);
		}
	}
	free(a);
	free(b);
}
