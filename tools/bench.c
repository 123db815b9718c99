// SPDX-License-Identifier: MIT
/*
 * iopmem bench STORAGE BUF: what P2P buys, measured against its alternatives
 * in the same run (gdsio / p2pmem-test style).
 *
 * For each chunk size and queue depth: read (STORAGE -> device memory) and,
 * with --write, write (device memory -> STORAGE), each five ways: I/O the
 * module issues (kernel), O_DIRECT through the mapping (p2p), the storage <->
 * host RAM O_DIRECT baseline, the bounce path (host RAM plus a CPU copy), and
 * fio into host RAM as the outside reference. Then 4 KiB latency at queue
 * depth 1 for p2p, host RAM and bounce. Prints GB/s, CPU seconds per GiB and
 * the ratios; --json for machines.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define MAX_LIST 8
#define LAT_MAX 4096

/*
 * kernel: iopmem.ko issues the I/O over its own pages; p2p: O_DIRECT into the
 * buffer's mapping (GUP per request); host-dma: O_DIRECT into host RAM (the
 * reference); bounce: host RAM, then a CPU copy; fio: fio's io_uring into host
 * RAM, the outside reference (bench_fio.c).
 */
enum mode { M_KERNEL, M_P2P, M_HOST, M_BOUNCE, M_FIO, M_COUNT };
static const char *const mode_names[M_COUNT] = { "kernel", "p2p", "host-dma", "bounce", "fio" };

struct bench {
	struct iopmem_ctx *ctx;
	struct opts *o;
	json_t *runs, *lat;  /* --json: the document's arrays, filled as figures come */
	int fd, json, write;
	struct iopmem_buf *buf;
	uint8_t *host;
	uint64_t size, chunks[MAX_LIST], qds[MAX_LIST];
	int nchunks, nqds, nlat;
	const char *storage;
	char no_p2p[768]; /* why a P2P run bounced, "" if none did */
	char no_fio[128]; /* why fio gave no figures, "" if it did */
};

static double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* One timed copy: storage <-> (device memory | host RAM), the given way. */
static int run_one(struct bench *b, int write, enum mode m, uint64_t chunk, uint64_t qd,
		   struct figure *f)
{
	struct iopmem_end file = { .type = IOPMEM_END_FD, .fd = b->fd };
	struct iopmem_end mem = { .type = IOPMEM_END_BUF, .buf = b->buf };
	struct iopmem_copy_opts o = { .qd = (unsigned int)qd, .chunk = (size_t)chunk };
	struct iopmem_copy_result r;
	double cpu = cpu_seconds();

	if (m == M_FIO) {
		/* Not fatal: the reference is missing, the run goes on. */
		if (bench_fio(b->storage, write, chunk, qd, b->size, f, b->no_fio, sizeof(b->no_fio)))
			*f = (struct figure){ .path = "" };
		return 0;
	}
	if (m == M_HOST)
		mem = (struct iopmem_end){ .type = IOPMEM_END_MEM, .mem = b->host };
	if (m == M_BOUNCE)
		o.flags = IOPMEM_COPY_FORCE_BOUNCE;
	if (m == M_P2P)
		o.flags = IOPMEM_COPY_NO_KERNEL;
	if (write ? iopmem_copy(b->ctx, &mem, &file, b->size, &o, &r)
		  : iopmem_copy(b->ctx, &file, &mem, b->size, &o, &r)) {
		cli_fail(b->o, -1, "iopmem bench: %s %s: %s", write ? "write" : "read", mode_names[m],
			 iopmem_ctx_error(b->ctx));
		return -1;
	}
	cpu = cpu_seconds() - cpu;
	f->gbps = (double)r.bytes / r.seconds / 1e9;
	f->cpu_per_gib = cpu / ((double)r.bytes / (1 << 30));
	f->bounced = r.bytes_bounced;
	f->path = iopmem_copy_path(&r);
	if (m == M_P2P && r.bytes_bounced && !b->no_p2p[0])
		snprintf(b->no_p2p, sizeof(b->no_p2p), "%s", r.reason);
	return 0;
}

static void print_figure(struct bench *b, const char *op, enum mode m, uint64_t chunk, uint64_t qd,
			 const struct figure *f)
{
	char c[32];

	if (b->json) {
		json_t *run = json_object();

		jset(run, "op", jstr(op));
		jset(run, "mode", jstr(mode_names[m]));
		jset(run, "chunk", json_integer((json_int_t)chunk));
		jset(run, "qd", json_integer((json_int_t)qd));
		jset(run, "gbps", json_real(f->gbps));
		jset(run, "cpu_s_per_gib", json_real(f->cpu_per_gib));
		jset(run, "path", jstr(f->path));
		jset(run, "bytes_bounced", json_integer((json_int_t)f->bounced));
		if (m == M_FIO && b->no_fio[0])
			jset(run, "error", jstr(b->no_fio));
		json_array_append_new(b->runs, run);
		return;
	}
	if (m == M_FIO && b->no_fio[0]) {
		printf("%-9s %4llu  %-5s %-9s not measured: %s\n", fmt_bytes(chunk, c, sizeof(c)),
		       (unsigned long long)qd, op, mode_names[m], b->no_fio);
		return;
	}
	printf("%-9s %4llu  %-5s %-9s %8.3f %10.3f  %s\n", fmt_bytes(chunk, c, sizeof(c)),
	       (unsigned long long)qd, op, mode_names[m], f->gbps, f->cpu_per_gib, f->path);
}

static int bench_op(struct bench *b, int write, uint64_t chunk, uint64_t qd)
{
	const char *op = write ? "write" : "read";
	struct figure f[M_COUNT];
	int m;

	for (m = 0; m < M_COUNT; m++) {
		if (run_one(b, write, (enum mode)m, chunk, qd, &f[m]))
			return -1;
		print_figure(b, op, (enum mode)m, chunk, qd, &f[m]);
	}
	if (!b->json) {
		printf("%-21s ratios: p2p/host-dma %.2fx GB/s, p2p/bounce %.2fx CPU per GiB%s\n", "",
		       f[M_P2P].gbps / f[M_HOST].gbps, f[M_P2P].cpu_per_gib / f[M_BOUNCE].cpu_per_gib,
		       f[M_P2P].bounced ? " (the P2P run bounced bytes: see iopmem copy)" : "");
		printf("%-21s         kernel/p2p %.2fx GB/s, CPU per GiB: kernel/host-dma %.2fx, "
		       "kernel/p2p %.2fx%s\n", "", f[M_KERNEL].gbps / f[M_P2P].gbps,
		       f[M_KERNEL].cpu_per_gib / f[M_HOST].cpu_per_gib,
		       f[M_KERNEL].cpu_per_gib / f[M_P2P].cpu_per_gib,
		       strcmp(f[M_KERNEL].path, "kernel") ? " (the kernel run did not take that path)" : "");
		if (!b->no_fio[0])
			printf("%-21s         reference: host-dma/fio %.2fx GB/s, %.2fx CPU per GiB\n", "",
			       f[M_HOST].gbps / f[M_FIO].gbps, f[M_HOST].cpu_per_gib / f[M_FIO].cpu_per_gib);
	}
	return 0;
}

static double elapsed_us(const struct timespec *a, const struct timespec *z)
{
	return (double)(z->tv_sec - a->tv_sec) * 1e6 + (double)(z->tv_nsec - a->tv_nsec) / 1e3;
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

/* 4 KiB reads at queue depth 1, random aligned offsets (fixed seed). */
static int latency(struct bench *b, int dfd, enum mode m, double *p50, double *p99)
{
	uint8_t *bar = iopmem_buf_addr(b->buf);
	double *t = calloc((size_t)b->nlat, sizeof(*t));
	uint64_t seed = 0x9e3779b97f4a7c15ULL, blocks = b->size / 4096;
	int i, ret = 0;

	for (i = 0; t && i < b->nlat && !ret; i++) {
		struct timespec a, z;
		ssize_t n;
		off_t off;

		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		off = (off_t)((seed >> 33) % blocks * 4096);
		clock_gettime(CLOCK_MONOTONIC, &a);
		n = pread(dfd, m == M_P2P ? bar : b->host, 4096, off);
		if (n != 4096)
			ret = n < 0 ? -errno : -EIO;
		if (m == M_BOUNCE)
			memcpy(bar, b->host, 4096);
		clock_gettime(CLOCK_MONOTONIC, &z);
		t[i] = elapsed_us(&a, &z);
	}
	if (t && !ret) {
		qsort(t, (size_t)b->nlat, sizeof(*t), cmp_double);
		*p50 = t[b->nlat / 2];
		*p99 = t[(b->nlat * 99) / 100];
	}
	free(t);
	return t ? ret : -ENOMEM;
}

/* One latency figure in --json; err is a positive errno, 0 when measured. */
static void latency_json(struct bench *b, enum mode m, double p50, double p99, int err)
{
	json_t *l = json_object();

	jset(l, "mode", jstr(mode_names[m]));
	jset(l, "p50_us", json_real(p50));
	jset(l, "p99_us", json_real(p99));
	jset(l, "error", json_integer(err));
	json_array_append_new(b->lat, l);
}

static void bench_latency(struct bench *b)
{
	int dfd = open(b->storage, O_RDONLY | O_DIRECT | O_CLOEXEC), m;

	if (!b->json)
		printf("\n4 KiB reads, qd 1, %d samples:\n", b->nlat);
	/* From p2p on: a kernel-submitted 4 KiB read is not a pread() to time. */
	for (m = M_P2P; m <= M_BOUNCE; m++) {
		double p50 = 0, p99 = 0;
		int ret;

		/* No P2P path: pread into the BAR would only measure a refusal. */
		if (m == M_P2P && b->no_p2p[0]) {
			if (b->json)
				latency_json(b, (enum mode)m, 0, 0, EREMOTEIO);
			else
				printf("  %-9s not measured: %s\n", mode_names[m], b->no_p2p);
			continue;
		}
		ret = dfd < 0 ? -errno : latency(b, dfd, (enum mode)m, &p50, &p99);
		if (b->json)
			latency_json(b, (enum mode)m, p50, p99, -ret);
		else if (ret)
			printf("  %-9s %s\n", mode_names[m], strerror(-ret));
		else
			printf("  %-9s p50 %8.1f us  p99 %8.1f us\n", mode_names[m], p50, p99);
	}
	if (dfd >= 0)
		close(dfd);
}

static int bench_usage(FILE *f, int ret)
{
	fprintf(f, "usage: iopmem bench STORAGE BUF [--size N] [--chunk LIST] [--qd LIST] [--write]\n"
		   "                    [--lat-count N] [--json]\n"
		   "STORAGE: a file or block device; BUF: device memory (/dev/iopmemN, BDF, p2pmem:BDF).\n"
		   "Reads STORAGE -> BUF; --write also writes BUF -> STORAGE, OVERWRITING the first\n"
		   "--size bytes of STORAGE. Each mode (kernel, p2p, host-dma, bounce, and fio's\n"
		   "io_uring into host RAM as the outside reference) in one run.\n"
		   "LIST: comma-separated sizes, e.g. --chunk 128K,1M --qd 1,8,32. Defaults: --size 64M\n"
		   "(or less if STORAGE or BUF is smaller), --chunk 1M, --qd 1,8, --lat-count 256.\n");
	return ret;
}

/* --chunk and --qd within the bounds iopmem copy has (tools/units.c). Return: 0, or 2 after saying why. */
static int bench_bounds(const struct bench *b)
{
	int i;

	for (i = 0; i < b->nchunks + b->nqds; i++) {
		uint64_t v = i < b->nchunks ? b->chunks[i] : b->qds[i - b->nchunks];
		const char *why = i < b->nchunks ? chunk_problem(v) : qd_problem(v);

		if (why)
			return cli_fail(b->o, 2, "iopmem bench: --%s %llu: %s", i < b->nchunks ? "chunk" : "qd",
					(unsigned long long)v, why);
	}
	return 0;
}

static int bench_parse(int argc, char **argv, struct bench *b)
{
	static const struct option longopts[] = {
		{ "size", required_argument, NULL, 's' }, { "chunk", required_argument, NULL, 'c' },
		{ "qd", required_argument, NULL, 'q' },   { "write", no_argument, NULL, 'w' },
		{ "lat-count", required_argument, NULL, 'l' }, { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },       { NULL, 0, NULL, 0 },
	};
	uint64_t lat = 256;
	int c, bad = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 's': bad |= parse_size(optarg, &b->size) || !b->size; break;
		case 'c': bad |= (b->nchunks = parse_size_list(optarg, b->chunks, MAX_LIST)) < 0; break;
		case 'q': bad |= (b->nqds = parse_size_list(optarg, b->qds, MAX_LIST)) < 0; break;
		case 'w': b->write = 1; break;
		case 'l': bad |= parse_size(optarg, &lat) || !lat || lat > LAT_MAX; break;
		case 'j': b->json = 1; break;
		case 'h': bench_usage(stdout, 0); return -1;
		default: bad = 1;
		}
	}
	b->nlat = (int)lat;
	if (bad || argc - optind != 2)
		return bench_usage(stderr, 2);
	if (bench_bounds(b))
		return 2;
	b->storage = argv[optind];
	return 0;
}

/*
 * Open both ends and settle the size: --size, or by default 64 MiB cut to
 * what both ends hold (whole 4 KiB blocks).
 */
static int bench_open(struct bench *b, const char *bufname)
{
	struct iopmem_end e = { .type = IOPMEM_END_FD };
	uint64_t room;
	int64_t cap;

	b->fd = open(b->storage, (b->write ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (b->fd < 0)
		return cli_fail(b->o, 2, "iopmem bench: %s: %s", b->storage, strerror(errno));
	if (iopmem_buf_open(b->ctx, bufname, 0, 0, &b->buf))
		return cli_fail(b->o, 2, "iopmem bench: %s", iopmem_ctx_error(b->ctx));
	e.fd = b->fd;
	cap = iopmem_end_capacity(&e);
	room = cap < 0 ? 0 : (uint64_t)cap < iopmem_buf_size(b->buf) ? (uint64_t)cap : iopmem_buf_size(b->buf);
	if (!b->size)
		b->size = room < ((uint64_t)64 << 20) ? room / 4096 * 4096 : (uint64_t)64 << 20;
	if (!b->size || b->size > room || b->size % 4096)
		return cli_fail(b->o, 2, "iopmem bench: --size %llu must be a multiple of 4096 (at least "
				"4096) that both %s (%lld bytes) and %s (%zu bytes) hold",
				(unsigned long long)b->size, b->storage, (long long)cap, bufname,
				iopmem_buf_size(b->buf));
	b->host = aligned_alloc(4096, b->size);
	if (!b->host)
		return cli_fail(b->o, 2, "iopmem bench: out of memory for %llu bytes",
				(unsigned long long)b->size);
	memset(b->host, 0x5a, b->size);
	return 0;
}

static void bench_header(const struct bench *b, json_t *doc)
{
	char sz[32];

	if (b->json) {
		jset(doc, "storage", jstr(b->storage));
		jset(doc, "buffer", jstr(iopmem_buf_name(b->buf)));
		jset(doc, "size", json_integer((json_int_t)b->size));
		return;
	}
	printf("iopmem bench: %s <-> %s, %s per run\n%-9s %4s  %-5s %-9s %8s %10s  %s\n", b->storage,
	       iopmem_buf_name(b->buf), fmt_bytes(b->size, sz, sizeof(sz)), "chunk", "qd", "op", "mode",
	       "GB/s", "CPU s/GiB", "path");
}

/* Every chunk size x queue depth, then latency. Return: 0 or -1 (the words are in b->o). */
static int bench_all(struct bench *b)
{
	struct figure warm;
	int c, q, ret;

	/* Warm-up, untimed: the first touch of each page costs a fault, not I/O. */
	ret = run_one(b, 0, M_P2P, b->chunks[0], b->qds[0], &warm);
	for (c = 0; !ret && c < b->nchunks; c++)
		for (q = 0; !ret && q < b->nqds; q++) {
			ret = bench_op(b, 0, b->chunks[c], b->qds[q]);
			if (!ret && b->write)
				ret = bench_op(b, 1, b->chunks[c], b->qds[q]);
		}
	if (!ret)
		bench_latency(b);
	return ret;
}

static void print_doc(struct bench *b, json_t *doc, int ret)
{
	jset(doc, "runs", json_incref(b->runs));
	jset(doc, "latency", json_incref(b->lat));
	if (ret)
		jset(doc, "error", jstr(b->o->error));
	json_print(b->o, json_incref(doc));
}

int cmd_bench(struct iopmem_ctx *ctx, int argc, char **argv, struct opts *o)
{
	struct bench b = { .ctx = ctx, .o = o, .fd = -1, .chunks = { 1 << 20 }, .nchunks = 1,
			   .qds = { 1, 8 }, .nqds = 2 };
	json_t *doc = json_object();
	int ret = bench_parse(argc, argv, &b);

	b.runs = json_array();
	b.lat = json_array();
	b.json |= o->json;
	o->json = b.json;
	if (!ret)
		ret = bench_open(&b, argv[optind + 1]);
	if (!ret) {
		bench_header(&b, doc);
		ret = bench_all(&b) ? 3 : 0;
		/* --json: the document, whole, also when a run failed half-way ("error"). */
		if (b.json)
			print_doc(&b, doc, ret);
	}
	json_decref(doc);
	json_decref(b.runs);
	json_decref(b.lat);
	if (b.fd >= 0)
		close(b.fd);
	iopmem_buf_close(b.buf);
	free(b.host);
	return ret < 0 ? 0 : ret;
}
