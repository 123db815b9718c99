// SPDX-License-Identifier: MIT
/*
 * iopmem copy SRC DST: storage to device memory and back, P2P when it can,
 * through host RAM when it must (and then it says why).
 *
 * SIGINT and SIGTERM set a flag from a handler installed without SA_RESTART,
 * so a read or an io_uring wait blocked in the kernel returns EINTR and the
 * engine asks the progress callback, which says stop: the copy ends with no
 * I/O in flight and nothing pinned, prints what it did, and exits 130.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

/*
 * The one piece of global state in the CLI, on purpose: a signal handler can
 * only tell the program something through a volatile sig_atomic_t at file
 * scope. on_signal() sets it to the signal; the progress callbacks and
 * copy_run() read it. (The library has no globals; this stays in the tool.)
 */
static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

/* "iopmemN" or "/dev/iopmemN": the node of a BAR bound to iopmem.ko. */
static int iopmem_node(const char *name)
{
	const char *base = strncmp(name, "/dev/", 5) ? name : name + 5;

	return !strncmp(base, "iopmem", 6) && base[6] && !base[6 + strspn(base + 6, "0123456789")];
}

/*
 * Names that mean device memory rather than a file. /dev/iopmemN is one even
 * when it is absent: it must never become a file of that name in /dev.
 */
static int names_buffer(const char *name)
{
	struct stat st;
	const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;

	if (!strncmp(name, "p2pmem:", 7) || !strncmp(name, "dax:", 4) ||
	    (!strncmp(name, "/dev/", 5) && iopmem_node(name)))
		return 1;
	if (!stat(name, &st))
		return S_ISCHR(st.st_mode) && !strncmp(base, "iopmem", 6);
	return !strchr(name, '/') && (!strncmp(name, "iopmem", 6) || strchr(name, ':'));
}

/* iopmemN or iopmem-blkN[pN]: a name iopmem.ko gives its device nodes. */
static int iopmem_dev_name(const char *base)
{
	const char *n = !strncmp(base, "iopmem-blk", 10) ? base + 10 : base + 6;

	if (strncmp(base, "iopmem", 6) || !*n || strspn(n, "0123456789") == 0)
		return 0;
	n += strspn(n, "0123456789");
	if (n[0] == 'p' && base[6] == '-' && n[1])
		n += 1 + strspn(n + 1, "0123456789");
	return !*n;
}

/*
 * A device name that is not in /dev: for iopmem's names, say whether
 * iopmem.ko is missing or only the node is (a BAR not bound, or another
 * number). Return: 2.
 */
static int no_such_device(const char *root, const char *name)
{
	const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
	char mod[PATH_MAX], class[PATH_MAX];
	struct stat st;

	/* Either says it is loaded (captured --root trees may hold only the class). */
	snprintf(mod, sizeof(mod), "%s/sys/module/iopmem", root ? root : "");
	snprintf(class, sizeof(class), "%s/sys/class/iopmem", root ? root : "");
	if (iopmem_dev_name(base) && stat(mod, &st) && stat(class, &st))
		fprintf(stderr, "iopmem: %s: iopmem.ko is not loaded (no %s; see iopmem doctor)\n",
			name, mod);
	else if (iopmem_node(base))
		fprintf(stderr, "iopmem: %s: no such device: iopmem.ko is loaded but no BAR is bound "
			"as %s (iopmem info lists them)\n", name, base);
	else
		fprintf(stderr, "iopmem: %s: no such device\n", name);
	return 2;
}

/* A buffer end (see names_buffer()). Return: 0, or 2 after printing why. */
static int buf_end_open(struct iopmem_ctx *ctx, const char *root, const char *name,
			struct cli_end *e)
{
	struct stat st;

	if (iopmem_node(name)) {
		char dev[PATH_MAX];

		snprintf(dev, sizeof(dev), "%s%s", strncmp(name, "/dev/", 5) ? "/dev/" : "", name);
		if (stat(dev, &st))
			return no_such_device(root, dev);
		if (!S_ISCHR(st.st_mode)) {
			fprintf(stderr, "iopmem: %s: not a device node but a file in its place "
				"(left by an older iopmem copy?): remove it\n", dev);
			return 2;
		}
	}
	if (iopmem_buf_open(ctx, name, 0, 0, &e->buf)) {
		fprintf(stderr, "iopmem: %s\n", iopmem_ctx_error(ctx));
		return 2;
	}
	e->end.type = IOPMEM_END_BUF;
	e->end.buf = e->buf;
	e->capacity = iopmem_end_capacity(&e->end);
	e->readable = 1;
	return 0;
}

/*
 * Why a file end of this type cannot be copied, or NULL. A copy needs offsets
 * (pipes and sockets have none, and opening a FIFO blocks until a writer
 * comes); of the character devices only the harmless memory devices behave
 * like files: /dev/null, /dev/zero, /dev/random and /dev/urandom.
 */
static const char *kind_problem(const struct stat *st)
{
	if (S_ISREG(st->st_mode) || S_ISBLK(st->st_mode))
		return NULL;
	if (S_ISCHR(st->st_mode))
		return major(st->st_rdev) == 1 && (minor(st->st_rdev) == 3 || minor(st->st_rdev) == 5 ||
						   minor(st->st_rdev) == 8 || minor(st->st_rdev) == 9) ? NULL :
		       "a character device, not an iopmem buffer: cannot be copied";
	if (S_ISDIR(st->st_mode))
		return "a directory: give a file";
	if (S_ISFIFO(st->st_mode))
		return "a pipe or FIFO: a copy needs a file, block device or device memory (offsets)";
	if (S_ISSOCK(st->st_mode))
		return "a socket: a copy needs a file, block device or device memory (offsets)";
	return "not a file, block device or device memory";
}

/* A missing destination here would be created on devtmpfs (RAM) under a device's name. */
static int in_dev(const char *name)
{
	char dir[PATH_MAX], real[PATH_MAX];
	struct stat a, b;
	char *slash;

	snprintf(dir, sizeof(dir), "%s", name);
	slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else
		slash[slash == dir] = '\0';
	if (!realpath(dir, real) || (strcmp(real, "/dev") && strncmp(real, "/dev/", 5)))
		return 0;
	/* /dev/shm and the like are file systems of their own, files are fine there. */
	return !stat(real, &a) && !stat("/dev", &b) && a.st_dev == b.st_dev;
}

/*
 * A file or block device end. Opened with O_NONBLOCK and checked with fstat()
 * before anything reads it, so a FIFO that appears after the stat() cannot
 * block either. Return: 0, or 2 after printing why.
 */
static int file_end_open(const char *root, const char *name, int write, struct cli_end *e)
{
	int common = O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
	const char *why;
	struct stat st;
	int fl;

	if (!stat(name, &st)) {
		why = kind_problem(&st);
		if (why) {
			fprintf(stderr, "iopmem: %s: %s\n", name, why);
			return 2;
		}
	} else if (errno == ENOENT) {
		if (in_dev(name))
			return no_such_device(root, name);
		if (write)
			common |= O_CREAT; /* only what was found missing, and not in /dev */
	}
	/* Read access too when it can: --verify reads the destination back. */
	e->fd = open(name, (write ? O_RDWR : O_RDONLY) | common, 0644);
	e->readable = e->fd >= 0;
	if (e->fd < 0 && write && errno == EACCES)
		e->fd = open(name, O_WRONLY | common, 0644);
	if (e->fd < 0 || fstat(e->fd, &st)) {
		fprintf(stderr, "iopmem: %s: %s\n", name, strerror(errno));
		return 2;
	}
	why = kind_problem(&st);
	fl = fcntl(e->fd, F_GETFL);
	if (why || fl < 0 || fcntl(e->fd, F_SETFL, fl & ~O_NONBLOCK)) {
		fprintf(stderr, "iopmem: %s: %s\n", name, why ? why : strerror(errno));
		return 2;
	}
	e->end.type = IOPMEM_END_FD;
	e->end.fd = e->fd;
	e->capacity = iopmem_end_capacity(&e->end);
	e->grows = write && S_ISREG(st.st_mode);
	return 0;
}

/**
 * end_open() - a copy end from a command-line name.
 * @ctx: the context.
 * @root: --root, or NULL (where to look for the module when a node is missing).
 * @name: a file, block device, /dev/iopmemN, iopmemN, a BDF or p2pmem:BDF.
 * @write: it is the destination (files are created, never truncated; never
 *         under /dev, and never a FIFO, socket, directory or odd device).
 * @e: filled in; close with end_close().
 *
 * Return: 0, or 2 after printing why.
 */
int end_open(struct iopmem_ctx *ctx, const char *root, const char *name, int write,
	     struct cli_end *e)
{
	memset(e, 0, sizeof(*e));
	e->fd = -1;
	e->name = name;
	return names_buffer(name) ? buf_end_open(ctx, root, name, e)
				  : file_end_open(root, name, write, e);
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
};

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Progress of a --verify read-back: nothing to draw, only whether to stop. */
static int stop_requested(void *arg, uint64_t done, uint64_t total)
{
	(void)arg;
	(void)done;
	(void)total;
	return stop_signal != 0;
}

/* Draw the bar at most ten times a second; a caught SIGINT/SIGTERM stops the copy. */
static int on_progress(void *arg, uint64_t done, uint64_t total)
{
	struct progress *p = arg;
	double t = mono();
	char a[32], b[32];
	int i, width = 30;

	if (stop_signal)
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

/*
 * The signals that stop a copy, caught for its duration. No SA_RESTART: a
 * blocked read or io_uring wait must return EINTR, not resume. One the caller
 * ignores (nohup, a background job without job control) stays ignored; one
 * the caller blocked is unblocked, or the copy could not be stopped at all.
 */
struct stop_catch {
	struct sigaction old_int, old_term;
	sigset_t old_mask;
};

static void stop_catch_begin(struct stop_catch *c)
{
	struct sigaction sa;
	sigset_t both;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	stop_signal = 0;
	sigaction(SIGINT, NULL, &c->old_int);
	sigaction(SIGTERM, NULL, &c->old_term);
	if (c->old_int.sa_handler != SIG_IGN)
		sigaction(SIGINT, &sa, NULL);
	if (c->old_term.sa_handler != SIG_IGN)
		sigaction(SIGTERM, &sa, NULL);
	sigemptyset(&both);
	sigaddset(&both, SIGINT);
	sigaddset(&both, SIGTERM);
	sigprocmask(SIG_UNBLOCK, &both, &c->old_mask);
}

/* Put back what was there. A caught signal is not raised again: it was handled (exit 130). */
static void stop_catch_end(const struct stop_catch *c)
{
	sigprocmask(SIG_SETMASK, &c->old_mask, NULL);
	sigaction(SIGINT, &c->old_int, NULL);
	sigaction(SIGTERM, &c->old_term, NULL);
}

/* What --verify found. */
enum verify_state { V_NONE, V_MATCH, V_MISMATCH, V_UNREADABLE, V_INTERRUPTED };

static const char *const verify_names[] = { "", "match", "mismatch", "unreadable", "interrupted" };

struct verify_result {
	enum verify_state state;
	uint64_t at; /* V_MISMATCH: the first differing byte, from the start of the copy */
};

static const char *const fallback_names[] = {
	"topology", "no-direct", "refused", "unaligned", "no-dma", "forced",
};

static void print_result(const struct iopmem_copy_result *r, const struct iopmem_copy_opts *o,
			 int json, const struct verify_result *v)
{
	char a[32], b[32], c[32], d[32], e[32];
	double gbps = r->seconds > 0 ? (double)r->bytes / r->seconds / 1e9 : 0;
	int verified = v->state == V_MATCH ? 1 : v->state == V_MISMATCH || v->state == V_UNREADABLE ? 0 : -1;

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
		printf(",\"verified\":%s,\"verify\":", verified < 0 ? "null" : verified ? "true" : "false");
		if (v->state == V_NONE)
			printf("null");
		else
			json_str(verify_names[v->state]);
		if (v->state == V_MISMATCH)
			printf(",\"mismatch_at\":%llu}\n", (unsigned long long)v->at);
		else
			printf(",\"mismatch_at\":null}\n");
		return;
	}
	printf("copied %s in %.3f s (%.2f GB/s): path %s: p2p %s, host-dma %s, bounced %s [%s, qd %u, chunk %s]\n",
	       fmt_bytes(r->bytes, a, sizeof(a)), r->seconds, gbps, iopmem_copy_path(r),
	       fmt_bytes(r->bytes_p2p, b, sizeof(b)), fmt_bytes(r->bytes_direct, c, sizeof(c)),
	       fmt_bytes(r->bytes_bounced, d, sizeof(d)), r->engine, o->qd,
	       fmt_bytes(o->chunk, e, sizeof(e)));
	if (r->reason[0])
		printf("fallback: %s\n", r->reason);
	if (v->state == V_MATCH)
		printf("verify: source and destination match\n");
	else if (v->state == V_MISMATCH)
		printf("verify: MISMATCH at byte %llu of the copy\n", (unsigned long long)v->at);
	else if (v->state == V_UNREADABLE)
		printf("verify: not done: an end could not be read back\n");
	else if (v->state == V_INTERRUPTED)
		printf("verify: interrupted\n");
}

/*
 * Read n bytes of end e, from pos on in the copy, into mem. Return: 0,
 * -ECANCELED on a signal, or another negative errno after saying why, naming
 * the end (which = "source" or "destination") and the file.
 */
static int read_back(struct iopmem_ctx *ctx, const struct cli_end *e, const char *which,
		     uint64_t pos, void *mem, uint64_t n)
{
	struct iopmem_copy_opts o = { .flags = IOPMEM_COPY_NO_SYNC, .progress = stop_requested };
	struct iopmem_end from = e->end, to = { .type = IOPMEM_END_MEM, .mem = mem };
	struct iopmem_copy_result r;
	int ret;

	if (!e->readable) {
		fprintf(stderr, "iopmem copy: verify: cannot read the %s back: %s could only be "
			"opened for writing (%s)\n", which, e->name, strerror(EACCES));
		return -EACCES;
	}
	from.offset += pos;
	ret = iopmem_copy(ctx, &from, &to, n, &o, &r);
	if (ret == -ECANCELED || (ret && stop_signal))
		return -ECANCELED;
	if (ret) {
		/* The end read from is the engine's "source" here, whichever end it is. */
		const char *msg = iopmem_ctx_error(ctx);

		if (!strncmp(msg, "source", 6))
			fprintf(stderr, "iopmem copy: verify: cannot read the %s back: %s%s\n", which,
				e->name, msg + 6);
		else
			fprintf(stderr, "iopmem copy: verify: cannot read the %s back: %s\n", which, msg);
	}
	return ret;
}

/* The first i < n where a and b differ (n is never reached: they differ). */
static uint64_t first_difference(const uint8_t *a, const uint8_t *b, uint64_t n)
{
	uint64_t i = 0;

	while (i < n && a[i] == b[i])
		i++;
	return i;
}

/* Read both ranges back into host RAM (O_DIRECT where it can) and compare. */
static void verify(struct iopmem_ctx *ctx, const struct cli_end *s, const struct cli_end *d,
		   uint64_t len, struct verify_result *v)
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
		fprintf(stderr, "iopmem copy: verify: out of memory for 2 x %zu bytes\n", piece);
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
		int ret = read_back(ctx, s, "source", pos, a, n);

		if (!ret)
			ret = read_back(ctx, d, "destination", pos, b, n);
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

static int copy_usage(FILE *f, int ret)
{
	fprintf(f, "usage: iopmem copy SRC DST [--size N] [--offset N] [--src-offset N] [--dst-offset N]\n"
		   "                   [--qd N] [--chunk N] [--via BUF] [--verify] [--no-fallback] [--json]\n"
		   "SRC, DST: a file or block device, or device memory (BUF): /dev/iopmemN, iopmemN,\n"
		   "  a BDF bound to iopmem, p2pmem:BDF (a kernel p2pdma provider), dax:FILE (a file\n"
		   "  on a DAX file system on /dev/iopmem-blkN).\n"
		   "--via BUF: file to file through device memory (P2P both ways), not host RAM.\n"
		   "N: decimal, with an optional suffix B, K, M, G, T (powers of 1024; KB, KiB...,\n"
		   "any case). --qd 1-1024 (default 32), --chunk a multiple of 4096 up to 64M\n"
		   "(default 1M). --size defaults to the rest of SRC. A DST file is created if\n"
		   "missing and never truncated; nothing is created under /dev.\n"
		   "Exit: 0 copied; 1 --verify found a mismatch; 2 usage, lookup or range error\n"
		   "(nothing moved); 3 the copy failed, or --verify could not read an end back;\n"
		   "130 interrupted by SIGINT or SIGTERM (the summary says how far it got).\n");
	return ret;
}

struct copy_args {
	uint64_t size, src_off, dst_off, qd, chunk;
	const char *via;
	int have_size, verify, no_fallback;
};

/* The value of option opt (the text arg) into a; 0, or 2 after saying why. */
static int copy_value(int opt, const char *name, const char *arg, struct copy_args *a)
{
	const char *why = NULL;
	uint64_t v;

	if (parse_size(arg, &v)) {
		fprintf(stderr, "iopmem copy: --%s %s: not a number (decimal, with an optional suffix "
			"B, K, M, G or T: 4096, 64K, 1MiB)\n", name, arg);
		return 2;
	}
	switch (opt) {
	case 's': a->size = v; a->have_size = 1; break;
	case 'o': a->src_off = a->dst_off = v; break;
	case 'S': a->src_off = v; break;
	case 'D': a->dst_off = v; break;
	case 'q': a->qd = v; why = qd_problem(v); break;
	case 'c': a->chunk = v; why = chunk_problem(v); break;
	default: break;
	}
	if (why) {
		fprintf(stderr, "iopmem copy: --%s %s: %s\n", name, arg, why);
		return 2;
	}
	return 0;
}

static int copy_parse(int argc, char **argv, struct opts *o, struct copy_args *a)
{
	static const struct option longopts[] = {
		{ "size", required_argument, NULL, 's' },    { "offset", required_argument, NULL, 'o' },
		{ "src-offset", required_argument, NULL, 'S' }, { "dst-offset", required_argument, NULL, 'D' },
		{ "qd", required_argument, NULL, 'q' },      { "chunk", required_argument, NULL, 'c' },
		{ "via", required_argument, NULL, 'V' },     { "verify", no_argument, NULL, 'v' },
		{ "no-fallback", no_argument, NULL, 'n' },   { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },          { NULL, 0, NULL, 0 },
	};
	int c, at = 0, bad = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, &at)) != -1) {
		switch (c) {
		case 'V': a->via = optarg; break;
		case 'v': a->verify = 1; break;
		case 'n': a->no_fallback = 1; break;
		case 'j': o->json = 1; break;
		case 'h': return copy_usage(stdout, 0) - 1;
		case 's': case 'o': case 'S': case 'D': case 'q': case 'c':
			if (copy_value(c, longopts[at].name, optarg, a))
				return 2;
			break;
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

/*
 * End e must hold [off, off + size) (what a regular-file destination holds is
 * no limit: it grows). Say what does not fit before anything moves; hint is
 * added when the size was not given but taken from SRC. Return: 1 if it fits.
 */
static int fits(const struct cli_end *e, uint64_t off, uint64_t size, const char *hint)
{
	uint64_t cap = (uint64_t)e->capacity;

	if (e->capacity < 0 || e->grows || (off <= cap && size <= cap - off))
		return 1;
	if (off > cap)
		fprintf(stderr, "iopmem copy: offset %llu is past the end of %s (%llu bytes)\n",
			(unsigned long long)off, e->name, (unsigned long long)cap);
	else
		fprintf(stderr, "iopmem copy: %s holds %llu bytes: %llu bytes at offset %llu do not fit%s\n",
			e->name, (unsigned long long)cap, (unsigned long long)size,
			(unsigned long long)off, hint);
	return 0;
}

/* Settle --size (by default the rest of SRC) and check both ends hold it. Return: 0 or 2. */
static int copy_size(const struct cli_end *s, const struct cli_end *d, struct copy_args *a)
{
	const char *hint = a->have_size ? "" : " (the rest of SRC): give --size";

	if (!fits(s, a->src_off, 0, "") || !fits(d, a->dst_off, 0, ""))
		return 2;
	if (!a->have_size && s->capacity < 0) {
		fprintf(stderr, "iopmem copy: the size of %s is unknown: give --size\n", s->name);
		return 2;
	}
	if (!a->have_size)
		a->size = (uint64_t)s->capacity - a->src_off;
	return fits(s, a->src_off, a->size, "") && fits(d, a->dst_off, a->size, hint) ? 0 : 2;
}

/* The summary, and the one line on stderr that says what went wrong. Return: the exit code. */
static int copy_report(struct iopmem_ctx *ctx, const struct opts *o, const struct copy_args *a,
		       int ret, const struct iopmem_copy_result *r, const struct iopmem_copy_opts *co,
		       const struct verify_result *v)
{
	int stopped = stop_signal || ret == -ECANCELED || v->state == V_INTERRUPTED;

	if (!ret || stopped)
		print_result(r, co, o->json, v);
	if (stopped) {
		fprintf(stderr, "iopmem copy: interrupted after %llu of %llu bytes%s\n",
			(unsigned long long)r->bytes, (unsigned long long)a->size,
			!ret && a->verify ? " (copied, not verified)" : "");
		return 130;
	}
	if (ret) {
		fprintf(stderr, "iopmem copy: %s\n", iopmem_ctx_error(ctx));
		return 3;
	}
	if (v->state == V_MISMATCH) {
		uint64_t at_src = a->src_off + v->at, at_dst = a->dst_off + v->at;

		fprintf(stderr, "iopmem copy: verify: MISMATCH at byte %llu of the copy (%s offset %llu, "
			"%s offset %llu)\n", (unsigned long long)v->at, o->args[0],
			(unsigned long long)at_src, o->args[1], (unsigned long long)at_dst);
	}
	return v->state == V_MISMATCH ? 1 : v->state == V_UNREADABLE ? 3 : 0;
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
	struct verify_result v = { .state = V_NONE };
	struct iopmem_copy_result r;
	struct stop_catch sc;
	int ret;

	if (a->via && iopmem_buf_open(ctx, a->via, 0, 0, &co.stage)) {
		fprintf(stderr, "iopmem copy: --via: %s\n", iopmem_ctx_error(ctx));
		return 2;
	}
	stop_catch_begin(&sc);
	s->end.offset = a->src_off;
	d->end.offset = a->dst_off;
	ret = iopmem_copy(ctx, &s->end, &d->end, a->size, &co, &r);
	if (p.tty)
		fprintf(stderr, "\n");
	co.qd = co.qd ? co.qd : IOPMEM_COPY_DEFAULT_QD;
	co.chunk = co.chunk ? co.chunk : IOPMEM_COPY_DEFAULT_CHUNK;
	if (!ret && a->verify && !stop_signal)
		verify(ctx, s, d, a->size, &v);
	stop_catch_end(&sc);
	ret = copy_report(ctx, o, a, ret, &r, &co, &v);
	iopmem_buf_close(co.stage);
	return ret;
}

int cmd_copy(struct iopmem_ctx *ctx, int argc, char **argv, struct opts *o)
{
	struct copy_args a = { 0 };
	struct cli_end s, d;
	int ret = copy_parse(argc, argv, o, &a);

	if (ret)
		return ret < 0 ? 0 : ret;
	ret = end_open(ctx, o->root, o->args[0], 0, &s);
	if (ret)
		return ret;
	ret = end_open(ctx, o->root, o->args[1], 1, &d);
	if (!ret)
		ret = copy_size(&s, &d, &a);
	if (!ret)
		ret = copy_run(ctx, o, &a, &s, &d);
	end_close(&s);
	end_close(&d);
	return ret;
}
