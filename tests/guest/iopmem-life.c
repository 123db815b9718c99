// SPDX-License-Identifier: MIT
/*
 * iopmem-life: what a mapping of /dev/iopmemN does over its lifetime, next
 * to DMA: fork(), exit, munmap/mremap/mprotect/madvise, I/O in flight when
 * the mapping or the device goes away. The answers are device-dax's.
 *
 *   iopmem-life semantics DEV BDF NVME   the checks below, "ok"/"not ok" lines
 *   iopmem-life worker NVME DIR          loop O_DIRECT NVMe <-> whichever
 *                                        /dev/iopmemN exists, across unplugs
 *
 * NVME is a block device whose first 4 MiB hold data to read; the worker
 * also writes at 8 MiB. Exits with the failure count.
 */
#define _GNU_SOURCE
#include <glob.h>
#include <liburing.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "iopmem_map.h"

#define LEN ((size_t)4 << 20)

/* touch: read (write=0) or write one byte; returns 0 or the signal it raised. */
static int touch(volatile uint8_t *p, int write)
{
	uint8_t got;

	return poke(p, write ? 0x42 : -1, &got);
}

/* memcmp() of a mapping that may be revoked: 0 same, 1 differs, -1 a signal. */
static int guarded_cmp(const uint8_t *p, const uint8_t *q, size_t n)
{
	volatile int differs = 0;

	tfault_sig = 0;
	if (sigsetjmp(tfault_jmp, 1) == 0) {
		tfault_armed = 1;
		differs = memcmp(p, q, n) != 0;
	}
	tfault_armed = 0;
	return tfault_sig ? -1 : differs;
}



/* Wait up to 10 s for no page to be pinned. */
static int drained(const char *dev)
{
	int i;

	for (i = 0; i < 500 && pinned_pages(dev) != 0; i++)
		usleep(20000);
	return pinned_pages(dev) == 0;
}

static int child_status(pid_t pid)
{
	int st = 0;

	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
}

/* fork(): parent and child share the BAR pages, each through its own VMA. */
static void fork_semantics(struct tmap *m)
{
	pid_t pid;

	volatile uint8_t *v = m->p; /* device memory: every access is real */

	v[0] = 0x11;
	pid = fork();
	if (pid == 0) {
		if (v[0] != 0x11)
			_exit(1);
		m->p[PG] = 0x22;
		_exit(0);
	}
	check(child_status(pid) == 0 && m->p[PG] == 0x22,
	      "fork(): the child sees the parent's bytes and the parent the child's", 0);

	/* The parent unmaps; the child's inherited mapping lives on. */
	int go[2];

	if (pipe(go))
		return;
	pid = fork();
	if (pid == 0) {
		char c;

		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(3);
		_exit(m->p[PG] == 0x22 ? 0 : 1);
	}
	close(go[0]);
	munmap(m->p, m->len);
	m->p = mmap(NULL, m->len, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0);
	check(write(go[1], "x", 1) == 1, "parent unmapped and mapped again", errno);
	close(go[1]);
	check(child_status(pid) == 0, "the child's mapping outlives the parent's munmap", 0);

	/* MADV_DONTFORK: the child has no mapping there at all. */
	check(madvise(m->p, PG, MADV_DONTFORK) == 0, "madvise(MADV_DONTFORK) is accepted", errno);
	pid = fork();
	if (pid == 0)
		_exit(touch(m->p, 0) == SIGSEGV ? 0 : 1);
	check(child_status(pid) == 0, "a MADV_DONTFORK range is not in the child (SIGSEGV)", 0);
	check(touch(m->p, 1) == 0, "... and still mapped in the parent", 0);
	madvise(m->p, PG, MADV_DOFORK);
}

static void madvise_mprotect(struct tmap *m)
{
	m->p[3 * PG] = 0x33;
	check(madvise(m->p, 4 * PG, MADV_DONTNEED) == 0, "madvise(MADV_DONTNEED) is accepted", errno);
	check(m->p[3 * PG] == 0x33, "after MADV_DONTNEED the page faults back in with the BAR's bytes", 0);

	check(mprotect(m->p, PG, PROT_READ) == 0, "mprotect(PROT_READ) is accepted", errno);
	check(touch(m->p, 1) == SIGSEGV, "a write to a read-only range raises SIGSEGV", 0);
	check(touch(m->p, 0) == 0, "... a read does not", 0);
	check(mprotect(m->p, PG, PROT_READ | PROT_WRITE) == 0 && touch(m->p, 1) == 0,
	      "mprotect back to read-write makes it writable again", errno);
}

static void mprotect_readonly_fd(const char *dev)
{
	int fd = open(dev, O_RDONLY | O_CLOEXEC);
	void *p;

	if (fd < 0) {
		check(0, "open read-only", errno);
		return;
	}
	p = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, 0);
	check(p != MAP_FAILED, "a read-only fd maps PROT_READ", errno);
	if (p != MAP_FAILED) {
		check(mprotect(p, PG, PROT_READ | PROT_WRITE) < 0 && errno == EACCES,
		      "mprotect(PROT_WRITE) over a read-only fd fails with EACCES", errno);
		munmap(p, PG);
	}
	close(fd);
}

/* On a mapping of its own: earlier checks split m's VMA (mprotect, madvise). */
static void mremap_semantics(const struct tmap *m)
{
	size_t len = 16 * PG;
	uint8_t *p, *q;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0);
	if (p == MAP_FAILED) {
		check(0, "mmap for mremap", errno);
		return;
	}
	p[5 * PG] = 0x55;
	q = mremap(p, len, len + PG, 0);
	check(q == MAP_FAILED, "mremap() cannot grow a mapping in place", errno);
	q = mremap(p, len, len + PG, MREMAP_MAYMOVE);
	check(q == MAP_FAILED, "... nor by moving it", errno);
	/* Move it into a reserved stretch, so MREMAP_FIXED replaces nothing of ours. */
	q = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (q != MAP_FAILED)
		q = mremap(p, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, q);
	check(q != MAP_FAILED && q[5 * PG] == 0x55, "mremap() moves a mapping; the bytes come along", errno);
	if (q == MAP_FAILED) {
		munmap(p, len);
		return;
	}
	p = mremap(q, len, len / 2, 0);
	check(p == q, "mremap() shrinks a mapping", errno);
	check(touch(q + len / 2, 0) == SIGSEGV, "the cut-off tail is gone (SIGSEGV)", 0);
	munmap(q, len / 2);
}

static int uring_read(struct io_uring *ring, int fd, void *buf, size_t len, off_t off)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_read(sqe, fd, buf, (unsigned int)len, (__u64)off);
	return io_uring_submit(ring);
}

/* munmap() with a read in flight: it completes (or the GUP fails cleanly). */
static void munmap_during_io(struct tmap *m, const char *dev, int nvfd)
{
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	uint8_t *p;

	if (io_uring_queue_init(4, &ring, 0)) {
		check(0, "io_uring", errno);
		return;
	}
	p = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0);
	check(p != MAP_FAILED && uring_read(&ring, nvfd, p, LEN, 0) == 1, "a 4 MiB read into the BAR is submitted", errno);
	munmap(p, LEN);
	if (io_uring_wait_cqe(&ring, &cqe) == 0) {
		/* EIO: the block layer's answer when pages vanish between its bios. */
		check(cqe->res == (int)LEN || cqe->res == -EFAULT || cqe->res == -EIO,
		      "munmap() during the read: it completes or fails with EFAULT/EIO", -cqe->res);
		io_uring_cqe_seen(&ring, cqe);
	}
	io_uring_queue_exit(&ring);
	check(drained(dev), "no BAR page stays pinned after it", 0);
}

/* A process that exits with reads in flight leaves nothing pinned behind. */
static void exit_during_io(struct tmap *m, const char *dev, int nvfd)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct io_uring ring;
		int i;

		if (io_uring_queue_init(8, &ring, 0))
			_exit(1);
		for (i = 0; i < 4; i++)
			uring_read(&ring, nvfd, m->p + (size_t)i * (LEN / 4), LEN / 4, 0);
		_exit(0);
	}
	check(child_status(pid) == 0, "a child exits with four reads into the BAR in flight", 0);
	check(drained(dev), "its pages are all released", 0);
}

/*
 * Unbind while a child loops O_DIRECT reads into the mapping: the reads in
 * flight complete (teardown waits for their pins), later ones fail with
 * EFAULT (the range is no longer backed), CPU touches raise SIGBUS.
 */
static void unbind_during_io(const char *dev, const char *bdf, int nvfd)
{
	int go[2];
	pid_t pid;
	char c;

	if (pipe(go))
		return;
	pid = fork();
	if (pid == 0) {
		struct tmap c2;
		long ok = 0;

		close(go[0]);
		if (tmap_open(&c2, dev, LEN))
			_exit(2);
		for (;;) {
			ssize_t r = pread(nvfd, c2.p, LEN, 0);

			if (r != (ssize_t)LEN) {
				int e = r < 0 ? errno : EIO;

				_exit(ok > 0 && (e == EFAULT || e == EIO) && touch(c2.p, 0) == SIGBUS ? 0 : 10 + e);
			}
			if (++ok == 1 && write(go[1], "x", 1) != 1)
				_exit(3);
		}
	}
	close(go[1]);
	check(read(go[0], &c, 1) == 1, "a child loops 4 MiB O_DIRECT reads into the BAR", 0);
	close(go[0]);
	check(sysfs_write("/sys/bus/pci/drivers/iopmem/unbind", bdf) == 0, "unbind with reads in flight completes", errno);
	int st = child_status(pid);

	if (st != 0)
		printf("# child status %d\n", st);
	check(st == 0, "the child's next read fails with EFAULT/EIO and its next touch raises SIGBUS", 0);
	check(sysfs_write("/sys/bus/pci/drivers/iopmem/bind", bdf) == 0, "rebind succeeds", errno);
}

static int cmd_semantics(const char *dev, const char *bdf, const char *nvme)
{
	struct tmap m;
	int nvfd = open(nvme, O_RDWR | O_DIRECT | O_CLOEXEC);

	if (nvfd < 0 || tmap_open(&m, dev, LEN)) {
		perror(dev);
		return 1;
	}
	catch_faults();
	fork_semantics(&m);
	madvise_mprotect(&m);
	mprotect_readonly_fd(dev);
	mremap_semantics(&m);
	munmap_during_io(&m, dev, nvfd);
	exit_during_io(&m, dev, nvfd);
	tmap_close(&m);
	unbind_during_io(dev, bdf, nvfd);
	close(nvfd);
	return test_failures;
}

/* Worker: keep DMAing into whichever iopmem device exists. */
struct worker {
	const char *dir;
	int nvfd;
	uint8_t *expect;
	long ops, up, reopen_fail, sigbus, efault, eio, enodev, other, mismatches;
};

static int stop_requested(const struct worker *w)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/done", w->dir);
	return access(path, F_OK) == 0;
}

static void put_counter(const struct worker *w, const char *name, long v)
{
	char path[512], tmp[520], buf[32];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", w->dir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	snprintf(buf, sizeof(buf), "%ld\n", v);
	if (write(fd, buf, strlen(buf)) < 0)
		perror(tmp);
	close(fd);
	rename(tmp, path);
}

static void count_errno(struct worker *w, int e)
{
	if (e == EFAULT)
		w->efault++;
	else if (e == EIO)
		w->eio++;
	else if (e == ENODEV || e == ENXIO)
		w->enodev++;
	else
		w->other++;
}

/* One open device: I/O until it goes away. */
static void work_on(struct worker *w, struct tmap *m)
{
	int first = 1;

	while (!stop_requested(w)) {
		ssize_t r = pread(w->nvfd, m->p, LEN, 0);

		if (r != (ssize_t)LEN) {
			count_errno(w, r < 0 ? errno : EIO);
			return;
		}
		r = guarded_cmp(m->p, w->expect, LEN);
		if (r < 0) {
			w->sigbus++;
			return;
		}
		w->mismatches += r;
		r = pwrite(w->nvfd, m->p, LEN, 2 * LEN);
		if (r != (ssize_t)LEN) {
			count_errno(w, r < 0 ? errno : EIO);
			return;
		}
		w->ops++;
		if (first) {
			first = 0;
			put_counter(w, "up", ++w->up);
		}
	}
}

static int open_any(struct tmap *m)
{
	glob_t g;
	size_t i;
	int ret = -ENOENT;

	if (glob("/dev/iopmem[0-9]*", 0, NULL, &g))
		return ret;
	for (i = 0; i < g.gl_pathc && ret; i++) {
		ret = tmap_open(m, g.gl_pathv[i], LEN);
		if (ret && m->fd >= 0) {
			if (m->p != MAP_FAILED)
				munmap(m->p, m->len);
			close(m->fd);
		}
	}
	globfree(&g);
	return ret;
}

static int cmd_worker(const char *nvme, const char *dir)
{
	struct worker w = { .dir = dir };
	struct tmap m;

	w.nvfd = open(nvme, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (w.nvfd < 0 || posix_memalign((void **)&w.expect, PG, LEN) ||
	    pread(w.nvfd, w.expect, LEN, 0) != (ssize_t)LEN) {
		perror(nvme);
		return 1;
	}
	catch_faults();
	while (!stop_requested(&w)) {
		if (open_any(&m)) {
			w.reopen_fail++;
			usleep(20000);
			continue;
		}
		work_on(&w, &m);
		tmap_close(&m);
	}
	printf("worker: ops=%ld up=%ld sigbus=%ld efault=%ld eio=%ld enodev=%ld other=%ld "
	       "mismatches=%ld waits=%ld\n", w.ops, w.up, w.sigbus, w.efault, w.eio, w.enodev,
	       w.other, w.mismatches, w.reopen_fail);
	return w.other || w.mismatches || !w.ops;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 5 && !strcmp(argv[1], "semantics"))
		return cmd_semantics(argv[2], argv[3], argv[4]);
	if (argc == 4 && !strcmp(argv[1], "worker"))
		return cmd_worker(argv[2], argv[3]);
	fprintf(stderr, "usage: iopmem-life semantics DEV BDF NVME | worker NVME DIR\n");
	return 2;
}
