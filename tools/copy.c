// SPDX-License-Identifier: MIT
/*
 * iopmem copy SRC DST: storage to device memory and back, P2P when it can,
 * through host RAM when it must (and then it says why).
 *
 * SIGINT/SIGTERM are blocked for the copy and polled from the progress
 * callback, so an interrupted copy stops between chunks with no I/O in
 * flight and nothing left pinned, and still reports what it did.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

/* Names that mean device memory rather than a file. */
static int names_buffer(const char *name)
{
	struct stat st;
	const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;

	if (!strncmp(name, "p2pmem:", 7) || !strncmp(name, "dax:", 4))
		return 1;
	if (!stat(name, &st))
		return S_ISCHR(st.st_mode) && !strncmp(base, "iopmem", 6);
	return !strchr(name, '/') && (!strncmp(name, "iopmem", 6) || strchr(name, ':'));
}

/**
 * end_open() - a copy end from a command-line name.
 * @ctx: the context.
 * @name: a file, block device, /dev/iopmemN, iopmemN, a BDF or p2pmem:BDF.
 * @write: it is the destination (files are created, never truncated).
 * @e: filled in; close with end_close().
 *
 * Return: 0, or 2 after printing why.
 */
int end_open(struct iopmem_ctx *ctx, const char *name, int write, struct cli_end *e)
{
	memset(e, 0, sizeof(*e));
	e->fd = -1;
	e->name = name;
	if (names_buffer(name)) {
		if (iopmem_buf_open(ctx, name, 0, 0, &e->buf)) {
			fprintf(stderr, "iopmem: %s\n", iopmem_ctx_error(ctx));
			return 2;
		}
		e->end.type = IOPMEM_END_BUF;
		e->end.buf = e->buf;
		e->capacity = iopmem_end_capacity(&e->end);
		return 0;
	}
	/* Read access too when it can: --verify reads the destination back. */
	e->fd = open(name, write ? O_RDWR | O_CREAT | O_CLOEXEC : O_RDONLY | O_CLOEXEC, 0644);
	if (e->fd < 0 && write && errno == EACCES)
		e->fd = open(name, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (e->fd < 0) {
		fprintf(stderr, "iopmem: %s: %s\n", name, strerror(errno));
		return 2;
	}
	e->end.type = IOPMEM_END_FD;
	e->end.fd = e->fd;
	e->capacity = iopmem_end_capacity(&e->end);
	return 0;
}

void end_close(struct cli_end *e)
{
	if (e->fd >= 0)
		close(e->fd);
	iopmem_buf_close(e->buf);
	e->fd = -1;
	e->buf = NULL;
}

struct progress {
	double start, last;
	int tty;
	sigset_t stop;
};

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Draw the bar at most ten times a second; a pending SIGINT/SIGTERM stops the copy. */
static int on_progress(void *arg, uint64_t done, uint64_t total)
{
	struct progress *p = arg;
	double t = mono();
	sigset_t pending;
	char a[32], b[32];
	int i, width = 30;

	if (!sigpending(&pending) && (sigismember(&pending, SIGINT) || sigismember(&pending, SIGTERM)))
		return 1;
	if (!p->tty || (t - p->last < 0.1 && done < total))
		return 0;
	p->last = t;
	fprintf(stderr, "\r[");
	for (i = 0; i < width; i++)
		fputc(i < (int)((double)done / (double)total * width) ? '#' : ' ', stderr);
	fprintf(stderr, "] %3d%% %s / %s %.2f GB/s ", (int)(100.0 * (double)done / (double)total),
		fmt_bytes(done, a, sizeof(a)), fmt_bytes(total, b, sizeof(b)),
		(double)done / (t - p->start) / 1e9);
	return 0;
}

static const char *const fallback_names[] = {
	"topology", "no-direct", "refused", "unaligned", "no-dma", "forced",
};

static void print_result(const struct iopmem_copy_result *r, const struct iopmem_copy_opts *o,
			 int json, int verified)
{
	char a[32], b[32], c[32], d[32], e[32];
	double gbps = r->seconds > 0 ? (double)r->bytes / r->seconds / 1e9 : 0;
	if (json) {
		size_t i;

		printf("{\"bytes\":%llu,\"bytes_p2p\":%llu,\"bytes_host_dma\":%llu,\"bytes_bounced\":%llu,"
		       "\"path\":\"%s\",\"engine\":\"%s\",\"qd\":%u,\"chunk\":%zu,\"seconds\":%.6f,"
		       "\"gbps\":%.4f,\"fallbacks\":[",
		       (unsigned long long)r->bytes, (unsigned long long)r->bytes_p2p,
		       (unsigned long long)r->bytes_direct, (unsigned long long)r->bytes_bounced,
		       iopmem_copy_path(r), r->engine, o->qd, o->chunk, r->seconds, gbps);
		for (i = 0, d[0] = 0; i < sizeof(fallback_names) / sizeof(fallback_names[0]); i++)
			if (r->fallbacks & (1U << i)) {
				printf("%s\"%s\"", d, fallback_names[i]);
				snprintf(d, sizeof(d), ",");
			}
		printf("],\"reason\":");
		json_str(r->reason);
		printf(",\"verified\":%s}\n", verified < 0 ? "null" : verified ? "true" : "false");
		return;
	}
	printf("copied %s in %.3f s (%.2f GB/s): path %s: p2p %s, host-dma %s, bounced %s [%s, qd %u, chunk %s]\n",
	       fmt_bytes(r->bytes, a, sizeof(a)), r->seconds, gbps, iopmem_copy_path(r),
	       fmt_bytes(r->bytes_p2p, b, sizeof(b)), fmt_bytes(r->bytes_direct, c, sizeof(c)),
	       fmt_bytes(r->bytes_bounced, d, sizeof(d)), r->engine, o->qd,
	       fmt_bytes(o->chunk, e, sizeof(e)));
	if (r->reason[0])
		printf("fallback: %s\n", r->reason);
	if (verified >= 0)
		printf("verify: %s\n", verified ? "source and destination match" : "MISMATCH");
}

/* Read both ranges back into host RAM (O_DIRECT where it can) and compare. */
static int verify(struct iopmem_ctx *ctx, const struct cli_end *s, const struct cli_end *d,
		  uint64_t len)
{
	const size_t piece = (size_t)16 << 20;
	uint8_t *a = aligned_alloc(4096, piece), *b = aligned_alloc(4096, piece);
	struct iopmem_copy_opts o = { .flags = IOPMEM_COPY_NO_SYNC };
	struct iopmem_copy_result r;
	uint64_t pos;
	int same = a && b;

	/* Zeroed: io_uring fills them behind valgrind's back. */
	if (same) {
		memset(a, 0, piece);
		memset(b, 0, piece);
	}

	for (pos = 0; same && pos < len; pos += piece) {
		uint64_t n = len - pos < piece ? len - pos : piece;
		struct iopmem_end sa = s->end, da = d->end;
		struct iopmem_end ma = { .type = IOPMEM_END_MEM, .mem = a };
		struct iopmem_end mb = { .type = IOPMEM_END_MEM, .mem = b };

		sa.offset += pos;
		da.offset += pos;
		if (iopmem_copy(ctx, &sa, &ma, n, &o, &r) || iopmem_copy(ctx, &da, &mb, n, &o, &r)) {
			fprintf(stderr, "iopmem: verify: %s\n", iopmem_ctx_error(ctx));
			same = 0;
		} else {
			same = !memcmp(a, b, n);
		}
	}
	free(a);
	free(b);
	return same;
}

static int copy_usage(FILE *f, int ret)
{
	fprintf(f, "usage: iopmem copy SRC DST [--size N] [--offset N] [--src-offset N] [--dst-offset N]\n"
		   "                   [--qd N] [--chunk N] [--via BUF] [--verify] [--no-fallback] [--json]\n"
		   "SRC, DST: a file or block device, or device memory (BUF): /dev/iopmemN, iopmemN,\n"
		   "  a BDF bound to iopmem, p2pmem:BDF (a kernel p2pdma provider), dax:FILE (a file\n"
		   "  on a DAX file system on /dev/iopmem-blkN).\n"
		   "--via BUF: file to file through device memory (P2P both ways), not host RAM.\n"
		   "Sizes take K, M, G, T suffixes (powers of 1024). --size defaults to the rest\n"
		   "of SRC. A DST file is created if missing and never truncated.\n"
		   "Exit: 0 copied, 1 --verify mismatch, 2 usage or lookup error, 3 copy failed,\n"
		   "130 interrupted.\n");
	return ret;
}

struct copy_args {
	uint64_t size, src_off, dst_off, qd, chunk;
	const char *via;
	int have_size, verify, no_fallback;
};

static int copy_parse(int argc, char **argv, struct opts *o, struct copy_args *a)
{
	static const struct option longopts[] = {
		{ "size", required_argument, NULL, 's' },    { "offset", required_argument, NULL, 'o' },
		{ "src-offset", required_argument, NULL, 'S' }, { "dst-offset", required_argument, NULL, 'D' },
		{ "qd", required_argument, NULL, 'q' },      { "chunk", required_argument, NULL, 'c' },
		{ "via", required_argument, NULL, 'V' },     { "verify", no_argument, NULL, 'v' },        { "no-fallback", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },          { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, bad = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		uint64_t v = 0;

		if (c == 'V') {
			a->via = optarg;
			continue;
		}
		if (optarg && parse_size(optarg, &v)) {
			fprintf(stderr, "iopmem copy: %s: not a size (e.g. 4096, 64K, 1M, 2G)\n", optarg);
			return 2;
		}
		switch (c) {
		case 's': a->size = v; a->have_size = 1; break;
		case 'o': a->src_off = a->dst_off = v; break;
		case 'S': a->src_off = v; break;
		case 'D': a->dst_off = v; break;
		case 'q': a->qd = v; break;
		case 'c': a->chunk = v; break;
		case 'v': a->verify = 1; break;
		case 'n': a->no_fallback = 1; break;
		case 'j': o->json = 1; break;
		case 'h': return copy_usage(stdout, 0) - 1;
		default: bad = 1;
		}
	}
	if (bad || argc - optind != 2)
		return copy_usage(stderr, 2);
	o->args[0] = argv[optind];
	o->args[1] = argv[optind + 1];
	o->nargs = 2;
	return 0;
}

/* A buffer end must hold [off, off + size): say so before anything moves. */
static int fits(const struct cli_end *e, uint64_t off, uint64_t size)
{
	if (e->end.type != IOPMEM_END_BUF || (off <= (uint64_t)e->capacity &&
					     size <= (uint64_t)e->capacity - off))
		return 1;
	fprintf(stderr, "iopmem copy: %s holds %lld bytes: %llu bytes at offset %llu do not fit\n",
		e->name, (long long)e->capacity, (unsigned long long)size, (unsigned long long)off);
	return 0;
}

/* What --size means when it is not given: the rest of SRC, if DST has room. */
static int copy_size(const struct cli_end *s, const struct cli_end *d, struct copy_args *a)
{
	if (a->have_size)
		return fits(s, a->src_off, a->size) && fits(d, a->dst_off, a->size) ? 0 : 2;
	if (s->capacity < 0 || (uint64_t)s->capacity < a->src_off) {
		fprintf(stderr, "iopmem copy: the size of %s is unknown: give --size\n", s->name);
		return 2;
	}
	a->size = (uint64_t)s->capacity - a->src_off;
	if (d->end.type == IOPMEM_END_BUF && d->capacity >= 0 &&
	    a->size + a->dst_off > (uint64_t)d->capacity) {
		fprintf(stderr, "iopmem copy: %s has %lld bytes from offset %llu, more than %s holds: "
			"give --size\n", s->name, (long long)a->size, (unsigned long long)a->src_off, d->name);
		return 2;
	}
	return 0;
}

static int copy_run(struct iopmem_ctx *ctx, const struct opts *o, struct copy_args *a,
		    struct cli_end *s, struct cli_end *d)
{
	struct progress p = { .start = mono(), .tty = !o->json && isatty(STDERR_FILENO) };
	struct iopmem_copy_opts co = {
		.qd = (unsigned int)a->qd, .chunk = (size_t)a->chunk,
		.flags = a->no_fallback ? IOPMEM_COPY_NO_FALLBACK : 0,
		.progress = on_progress, .progress_arg = &p,
	};
	struct iopmem_copy_result r;
	sigset_t old;
	int ret, verified = -1;

	if (a->via && iopmem_buf_open(ctx, a->via, 0, 0, &co.stage)) {
		fprintf(stderr, "iopmem copy: --via: %s\n", iopmem_ctx_error(ctx));
		return 2;
	}

	sigemptyset(&p.stop);
	sigaddset(&p.stop, SIGINT);
	sigaddset(&p.stop, SIGTERM);
	sigprocmask(SIG_BLOCK, &p.stop, &old);
	s->end.offset = a->src_off;
	d->end.offset = a->dst_off;
	ret = iopmem_copy(ctx, &s->end, &d->end, a->size, &co, &r);
	if (p.tty)
		fprintf(stderr, "\n");
	co.qd = co.qd ? co.qd : IOPMEM_COPY_DEFAULT_QD;
	co.chunk = co.chunk ? co.chunk : IOPMEM_COPY_DEFAULT_CHUNK;
	if (!ret && a->verify)
		verified = verify(ctx, s, d, a->size);
	if (!ret || ret == -ECANCELED)
		print_result(&r, &co, o->json, verified);
	if (ret == -ECANCELED)
		fprintf(stderr, "iopmem copy: interrupted after %llu of %llu bytes\n",
			(unsigned long long)r.bytes, (unsigned long long)a->size);
	else if (ret)
		fprintf(stderr, "iopmem copy: %s\n", iopmem_ctx_error(ctx));
	sigprocmask(SIG_SETMASK, &old, NULL);
	iopmem_buf_close(co.stage);
	if (ret == -ECANCELED)
		return 130;
	return ret ? 3 : verified == 0 ? 1 : 0;
}

int cmd_copy(struct iopmem_ctx *ctx, int argc, char **argv, struct opts *o)
{
	struct copy_args a = { 0 };
	struct cli_end s, d;
	int ret = copy_parse(argc, argv, o, &a);

	if (ret)
		return ret < 0 ? 0 : ret;
	ret = end_open(ctx, o->args[0], 0, &s);
	if (ret)
		return ret;
	ret = end_open(ctx, o->args[1], 1, &d);
	if (!ret)
		ret = copy_size(&s, &d, &a);
	if (!ret)
		ret = copy_run(ctx, o, &a, &s, &d);
	end_close(&s);
	end_close(&d);
	return ret;
}
