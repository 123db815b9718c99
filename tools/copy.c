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
static int no_such_device(struct opts *o, const char *name)
{
	const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
	char mod[PATH_MAX], class[PATH_MAX];
	struct stat st;

	/* Either says it is loaded (captured --root trees may hold only the class). */
	snprintf(mod, sizeof(mod), "%s/sys/module/iopmem", o->root ? o->root : "");
	snprintf(class, sizeof(class), "%s/sys/class/iopmem", o->root ? o->root : "");
	if (iopmem_dev_name(base) && stat(mod, &st) && stat(class, &st))
		return cli_fail(o, 2, "iopmem: %s: iopmem.ko is not loaded (no %s; see iopmem doctor)",
				name, mod);
	if (iopmem_node(base))
		return cli_fail(o, 2, "iopmem: %s: no such device: iopmem.ko is loaded but no BAR is bound "
				"as %s (iopmem info lists them)", name, base);
	return cli_fail(o, 2, "iopmem: %s: no such device", name);
}

/* A buffer end (see names_buffer()). Return: 0, or 2 after printing why. */
static int buf_end_open(struct iopmem_ctx *ctx, struct opts *o, const char *name,
			struct cli_end *e)
{
	struct stat st;

	if (iopmem_node(name)) {
		char dev[PATH_MAX];

		snprintf(dev, sizeof(dev), "%s%s", strncmp(name, "/dev/", 5) ? "/dev/" : "", name);
		if (stat(dev, &st))
			return no_such_device(o, dev);
		if (!S_ISCHR(st.st_mode))
			return cli_fail(o, 2, "iopmem: %s: not a device node but a file in its place "
					"(left by an older iopmem copy?): remove it", dev);
	}
	if (iopmem_buf_open(ctx, name, 0, 0, &e->buf))
		return cli_fail(o, 2, "iopmem: %s", iopmem_ctx_error(ctx));
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
static int file_end_open(struct opts *o, const char *name, int write, struct cli_end *e)
{
	int common = O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
	const char *why;
	struct stat st;
	int fl;

	if (!stat(name, &st)) {
		why = kind_problem(&st);
		if (why)
			return cli_fail(o, 2, "iopmem: %s: %s", name, why);
	} else if (errno == ENOENT) {
		if (in_dev(name))
			return no_such_device(o, name);
		if (write)
			common |= O_CREAT; /* only what was found missing, and not in /dev */
	}
	/* Read access too when it can: --verify reads the destination back. */
	e->fd = open(name, (write ? O_RDWR : O_RDONLY) | common, 0644);
	e->readable = e->fd >= 0;
	if (e->fd < 0 && write && errno == EACCES)
		e->fd = open(name, O_WRONLY | common, 0644);
	if (e->fd < 0 || fstat(e->fd, &st))
		return cli_fail(o, 2, "iopmem: %s: %s", name, strerror(errno));
	why = kind_problem(&st);
	fl = fcntl(e->fd, F_GETFL);
	if (why || fl < 0 || fcntl(e->fd, F_SETFL, fl & ~O_NONBLOCK))
		return cli_fail(o, 2, "iopmem: %s: %s", name, why ? why : strerror(errno));
	e->end.type = IOPMEM_END_FD;
	e->end.fd = e->fd;
	e->capacity = iopmem_end_capacity(&e->end);
	e->grows = write && S_ISREG(st.st_mode);
	return 0;
}

/**
 * end_open() - a copy end from a command-line name.
 * @ctx: the context.
 * @o: the options (--root: where to look for the module when a node is
 *     missing); a failure's words are kept there.
 * @name: a file, block device, /dev/iopmemN, iopmemN, a BDF or p2pmem:BDF.
 * @write: it is the destination (files are created, never truncated; never
 *         under /dev, and never a FIFO, socket, directory or odd device).
 * @e: filled in; close with end_close().
 *
 * Return: 0, or 2 after printing why.
 */
int end_open(struct iopmem_ctx *ctx, struct opts *o, const char *name, int write, struct cli_end *e)
{
	memset(e, 0, sizeof(*e));
	e->fd = -1;
	e->name = name;
	return names_buffer(name) ? buf_end_open(ctx, o, name, e) : file_end_open(o, name, write, e);
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

/* The IOPMEM_FB_* bits in order, as --json names them. */
static const char *const fallback_names[] = {
	"topology", "no-direct", "refused", "unaligned", "no-dma", "forced", "no-stage",
};

/* The copy's rate, 0 when it took no measurable time. */
static double result_gbps(const struct iopmem_copy_result *r)
{
	return r->seconds > 0 ? (double)r->bytes / r->seconds / 1e9 : 0;
}

/* The summary as --json prints it; error is the failure's words, or NULL. */
static json_t *result_json(const struct iopmem_copy_result *r, const struct verify_result *v,
			   const char *error)
{
	json_t *doc = json_object(), *fb = json_array();
	size_t i;

	jset(doc, "bytes", json_integer((json_int_t)r->bytes));
	jset(doc, "bytes_p2p", json_integer((json_int_t)r->bytes_p2p));
	jset(doc, "bytes_kernel", json_integer((json_int_t)r->bytes_kernel));
	jset(doc, "bytes_host_dma", json_integer((json_int_t)r->bytes_direct));
	jset(doc, "bytes_bounced", json_integer((json_int_t)r->bytes_bounced));
	jset(doc, "path", jstr(iopmem_copy_path(r)));
	jset(doc, "engine", jstr(r->engine));
	jset(doc, "qd", json_integer(r->qd));
	jset(doc, "chunk", json_integer((json_int_t)r->chunk));
	jset(doc, "align", json_integer(r->align));
	jset(doc, "seconds", json_real(r->seconds));
	jset(doc, "gbps", json_real(result_gbps(r)));
	for (i = 0; i < sizeof(fallback_names) / sizeof(fallback_names[0]); i++)
		if (r->fallbacks & (1U << i))
			json_array_append_new(fb, jstr(fallback_names[i]));
	jset(doc, "fallbacks", fb);
	jset(doc, "reason", jstr(r->reason));
	jset(doc, "verified", v->state == V_MATCH ? json_true() :
			      v->state == V_MISMATCH || v->state == V_UNREADABLE ? json_false() : json_null());
	jset(doc, "verify", v->state == V_NONE ? json_null() : jstr(verify_names[v->state]));
	jset(doc, "mismatch_at", v->state == V_MISMATCH ? json_integer((json_int_t)v->at) : json_null());
	if (error)
		jset(doc, "error", jstr(error));
	return doc;
}

static void result_text(const struct iopmem_copy_result *r, const struct verify_result *v)
{
	char a[32], b[32], c[32], d[32], e[32];

	printf("copied %s in %.3f s (%.2f GB/s): path %s: p2p %s, host-dma %s, bounced %s [%s, qd %u, chunk %s]\n",
	       fmt_bytes(r->bytes, a, sizeof(a)), r->seconds, result_gbps(r), iopmem_copy_path(r),
	       fmt_bytes(r->bytes_p2p, b, sizeof(b)), fmt_bytes(r->bytes_direct, c, sizeof(c)),
	       fmt_bytes(r->bytes_bounced, d, sizeof(d)), r->engine, r->qd,
	       fmt_bytes(r->chunk, e, sizeof(e)));
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

static int copy_usage(FILE *f, int ret)
{
	fprintf(f, "usage: iopmem copy SRC DST [--size N] [--offset N] [--src-offset N] [--dst-offset N]\n"
		   "                   [--qd N] [--chunk N] [--via BUF] [--verify] [--no-fallback]\n"
		   "                   [--no-kernel] [--json]\n"
		   "SRC, DST: a file or block device, or device memory (BUF): /dev/iopmemN, iopmemN,\n"
		   "  a BDF bound to iopmem, p2pmem:BDF (a kernel p2pdma provider), dax:FILE (a file\n"
		   "  on a DAX file system on /dev/iopmem-blkN).\n"
		   "--via BUF: file to file through device memory (P2P both ways), not host RAM.\n"
		   "--no-kernel: move P2P bytes through the buffer's mapping (O_DIRECT, io_uring),\n"
		   "  not by I/O iopmem.ko issues itself (path \"kernel\", the default where it can).\n"
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
	int have_size, verify, no_fallback, no_kernel;
};

/* The value of option opt (the text arg) into a; 0, or 2 after saying why. */
static int copy_value(struct opts *o, int opt, const char *name, const char *arg, struct copy_args *a)
{
	const char *why = NULL;
	uint64_t v;

	if (parse_size(arg, &v))
		return cli_fail(o, 2, "iopmem copy: --%s %s: not a number (decimal, with an optional suffix "
				"B, K, M, G or T: 4096, 64K, 1MiB)", name, arg);
	switch (opt) {
	case 's': a->size = v; a->have_size = 1; break;
	case 'o': a->src_off = a->dst_off = v; break;
	case 'S': a->src_off = v; break;
	case 'D': a->dst_off = v; break;
	case 'q': a->qd = v; why = qd_problem(v); break;
	case 'c': a->chunk = v; why = chunk_problem(v); break;
	default: break;
	}
	return why ? cli_fail(o, 2, "iopmem copy: --%s %s: %s", name, arg, why) : 0;
}

static int copy_parse(int argc, char **argv, struct opts *o, struct copy_args *a)
{
	static const struct option longopts[] = {
		{ "size", required_argument, NULL, 's' },    { "offset", required_argument, NULL, 'o' },
		{ "src-offset", required_argument, NULL, 'S' }, { "dst-offset", required_argument, NULL, 'D' },
		{ "qd", required_argument, NULL, 'q' },      { "chunk", required_argument, NULL, 'c' },
		{ "via", required_argument, NULL, 'V' },     { "verify", no_argument, NULL, 'v' },
		{ "no-fallback", no_argument, NULL, 'n' },   { "json", no_argument, NULL, 'j' },
		{ "no-kernel", no_argument, NULL, 'K' },     { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, at = 0, bad = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, &at)) != -1) {
		switch (c) {
		case 'V': a->via = optarg; break;
		case 'v': a->verify = 1; break;
		case 'n': a->no_fallback = 1; break;
		case 'K': a->no_kernel = 1; break;
		case 'j': o->json = 1; break;
		case 'h': return copy_usage(stdout, 0) - 1;
		case 's': case 'o': case 'S': case 'D': case 'q': case 'c':
			if (copy_value(o, c, longopts[at].name, optarg, a))
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
 * added when the size was not given but taken from SRC. Return: 0 if it fits, else 2.
 */
static int fits(struct opts *o, const struct cli_end *e, uint64_t off, uint64_t size, const char *hint)
{
	uint64_t cap = (uint64_t)e->capacity;

	if (e->capacity < 0 || e->grows || (off <= cap && size <= cap - off))
		return 0;
	if (off > cap)
		return cli_fail(o, 2, "iopmem copy: offset %llu is past the end of %s (%llu bytes)",
				(unsigned long long)off, e->name, (unsigned long long)cap);
	return cli_fail(o, 2, "iopmem copy: %s holds %llu bytes: %llu bytes at offset %llu do not fit%s",
			e->name, (unsigned long long)cap, (unsigned long long)size,
			(unsigned long long)off, hint);
}

/*
 * SRC and DST the same file (or disk) with overlapping ranges: the copy would
 * read what it already overwrote. Refused here, before anything moves (the
 * library refuses it too, for its other callers). Return: 0, or 2.
 */
static int overlaps(struct opts *o, const struct cli_end *s, const struct cli_end *d,
		    const struct copy_args *a)
{
	struct stat x, y;
	int same;

	if (s->fd < 0 || d->fd < 0 || fstat(s->fd, &x) || fstat(d->fd, &y))
		return 0;
	same = S_ISBLK(x.st_mode) && S_ISBLK(y.st_mode) ? x.st_rdev == y.st_rdev
						       : x.st_dev == y.st_dev && x.st_ino == y.st_ino;
	if (!same || !a->size || a->src_off >= a->dst_off + a->size || a->dst_off >= a->src_off + a->size)
		return 0;
	return cli_fail(o, 2, "iopmem copy: %s and %s are the same file and the ranges overlap "
			"(%llu bytes from offset %llu onto offset %llu)", s->name, d->name,
			(unsigned long long)a->size, (unsigned long long)a->src_off,
			(unsigned long long)a->dst_off);
}

/* Settle --size (by default the rest of SRC) and check both ends hold it. Return: 0 or 2. */
static int copy_size(struct opts *o, const struct cli_end *s, const struct cli_end *d,
		     struct copy_args *a)
{
	const char *hint = a->have_size ? "" : " (the rest of SRC): give --size";

	if (fits(o, s, a->src_off, 0, "") || fits(o, d, a->dst_off, 0, ""))
		return 2;
	if (!a->have_size && s->capacity < 0)
		return cli_fail(o, 2, "iopmem copy: the size of %s is unknown: give --size", s->name);
	if (!a->have_size)
		a->size = (uint64_t)s->capacity - a->src_off;
	if (fits(o, s, a->src_off, a->size, "") || fits(o, d, a->dst_off, a->size, hint))
		return 2;
	return overlaps(o, s, d, a);
}

/*
 * The summary (--json: one document, with "error" when the copy failed) and
 * the one line on stderr that says what went wrong. Return: the exit code.
 */
static int copy_report(struct iopmem_ctx *ctx, struct opts *o, const struct copy_args *a,
		       int ret, const struct iopmem_copy_result *r, const struct verify_result *v)
{
	int stopped = stop_signal || ret == -ECANCELED || v->state == V_INTERRUPTED;
	int code = v->state == V_MISMATCH ? 1 : v->state == V_UNREADABLE ? 3 : 0;
	uint64_t at_src = a->src_off + v->at, at_dst = a->dst_off + v->at;

	if (stopped)
		code = cli_fail(o, 130, "iopmem copy: interrupted after %llu of %llu bytes%s",
				(unsigned long long)r->bytes, (unsigned long long)a->size,
				!ret && a->verify ? " (copied, not verified)" : "");
	else if (ret)
		code = cli_fail(o, 3, "iopmem copy: %s", iopmem_ctx_error(ctx));
	else if (v->state == V_MISMATCH)
		cli_fail(o, 1, "iopmem copy: verify: MISMATCH at byte %llu of the copy (%s offset %llu, "
			 "%s offset %llu)", (unsigned long long)v->at, o->args[0],
			 (unsigned long long)at_src, o->args[1], (unsigned long long)at_dst);
	if (o->json)
		json_print(o, result_json(r, v, code > 1 ? o->error : NULL));
	else if (!ret || stopped)
		result_text(r, v);
	return code;
}

static int copy_run(struct iopmem_ctx *ctx, struct opts *o, struct copy_args *a,
		    struct cli_end *s, struct cli_end *d)
{
	struct progress p = { .start = mono(), .tty = !o->json && isatty(STDERR_FILENO) };
	struct iopmem_copy_opts co = {
		.qd = (unsigned int)a->qd, .chunk = (size_t)a->chunk,
		.flags = (a->no_fallback ? IOPMEM_COPY_NO_FALLBACK : 0) |
			 (a->no_kernel ? IOPMEM_COPY_NO_KERNEL : 0),
		.progress = on_progress, .progress_arg = &p,
	};
	struct verify_result v = { .state = V_NONE };
	struct iopmem_copy_result r;
	struct stop_catch sc;
	int ret;

	if (a->via && iopmem_buf_open(ctx, a->via, 0, 0, &co.stage))
		return cli_fail(o, 2, "iopmem copy: --via: %s", iopmem_ctx_error(ctx));
	stop_catch_begin(&sc);
	s->end.offset = a->src_off;
	d->end.offset = a->dst_off;
	ret = iopmem_copy(ctx, &s->end, &d->end, a->size, &co, &r);
	if (p.tty)
		fprintf(stderr, "\n");
	if (!ret && a->verify && !stop_signal)
		copy_verify(ctx, o, s, d, a->size, stop_requested, &v);
	stop_catch_end(&sc);
	ret = copy_report(ctx, o, a, ret, &r, &v);
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
	ret = end_open(ctx, o, o->args[0], 0, &s);
	if (ret)
		return ret;
	ret = end_open(ctx, o, o->args[1], 1, &d);
	if (!ret)
		ret = copy_size(o, &s, &d, &a);
	if (!ret)
		ret = copy_run(ctx, o, &a, &s, &d);
	end_close(&s);
	end_close(&d);
	return ret;
}
