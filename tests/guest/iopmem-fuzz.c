// SPDX-License-Identifier: MIT
/*
 * iopmem-fuzz: seeded random sequences of what user space can do to
 * /dev/iopmemN (mmap/munmap/mremap/mprotect/madvise with every flag, CPU
 * touches, fork, ioctls with random commands and pointers, file I/O the
 * module issues (IOPMEM_IOC_FILE_IO, and batches of it as io_uring commands),
 * O_DIRECT into the mappings), each
 * checked against an oracle:
 *
 *  - mmap succeeds exactly when it must (MAP_SHARED, aligned, inside the BAR,
 *    prot allowed by the fd) and otherwise fails with the documented errno;
 *  - every byte read through any mapping equals a shadow copy of the BAR that
 *    follows every write (CPU or DMA): mappings alias the BAR, nothing else;
 *  - a touch outside what is mapped, or a write to a read-only range, raises
 *    the signal it must; ioctls return only their documented errnos;
 *  - at the end no page is pinned and the whole BAR equals the shadow, which
 *    is also written to OUT so the host can compare it with the ivshmem file.
 *
 *   iopmem-fuzz DEV NVME SEED CASES [OUT]
 *
 * Prints a summary and each oracle failure (with the case number: rerun with
 * the same seed to replay; FUZZ_DEBUG=1 also logs every file I/O request).
 * Exits with the failure count (max 100).
 */
#define _GNU_SOURCE
#include <liburing.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/wait.h>

#include "iopmem_map.h"

#define MAXMAPS 16

struct fmap {
	uint8_t *p;
	size_t len;   /* bytes, page multiple */
	size_t off;   /* BAR offset of p[0] */
	int prot;     /* PROT_READ/PROT_WRITE as the CPU sees them */
	int vmprot;   /* as asked for: what GUP checks (PROT_EXEC alone reads for the CPU only) */
	int ro;       /* mapped from the read-only fd */
	int dontfork; /* MADV_DONTFORK stuck: DOFORK is refused on VM_SPECIAL areas (7.x) */
};

enum { OP_MMAP, OP_MUNMAP, OP_TOUCH, OP_MPROTECT, OP_MADVISE, OP_MREMAP, OP_IOCTL,
       OP_FORK, OP_DIO, OP_RW, OP_URING, OP_COUNT };

struct fuzz {
	uint64_t rng;
	long cas;
	int fd, rofd, nvfd;
	const char *dev;
	size_t size;
	uint8_t *shadow, *nvdata, *rdonly;
	struct fmap maps[MAXMAPS];
	int nmaps;
	long ops[OP_COUNT], fails;
	struct io_uring ring; /* 128-byte SQEs, for IOPMEM_URING_CMD_FILE_IO */
	int uring;            /* the ring exists */
};

static const char *const op_names[] = { "mmap", "munmap", "touch", "mprotect", "madvise",
					"mremap", "ioctl", "fork", "o_direct", "read/write",
					"uring_cmd" };

static uint64_t rnd(struct fuzz *f)
{
	/* xorshift64*: fast, and the same sequence for the same seed everywhere. */
	f->rng ^= f->rng >> 12;
	f->rng ^= f->rng << 25;
	f->rng ^= f->rng >> 27;
	return f->rng * 0x2545F4914F6CDD1DULL;
}

static size_t below(struct fuzz *f, size_t n)
{
	return n ? (size_t)(rnd(f) % n) : 0;
}

static void fail_msg(struct fuzz *f, const char *msg)
{
	f->fails++;
	printf("not ok - case %ld: %s\n", f->cas, msg);
}

/* An oracle failure, printf-style. */
#define fail(f, ...)                                          \
	do {                                                  \
		char msg_[512];                               \
		snprintf(msg_, sizeof(msg_), __VA_ARGS__);    \
		fail_msg(f, msg_);                            \
	} while (0)

/* A length: tiny, odd, a few pages, the BAR, past it. */
static size_t pick_len(struct fuzz *f)
{
	switch (below(f, 8)) {
	case 0: return 0;
	case 1: return 1 + below(f, PG);
	case 2: return f->size;
	case 3: return f->size + PG * (1 + below(f, 4));
	case 4: return (size_t)1 << (20 + below(f, 24));
	default: return PG * (1 + below(f, 64));
	}
}

static off_t pick_off(struct fuzz *f)
{
	switch (below(f, 8)) {
	case 0: return 0;
	case 1: return (off_t)(f->size - PG);
	case 2: return (off_t)f->size;
	case 3: return (off_t)(f->size + PG * below(f, 1024));
	case 4: return (off_t)(1 + below(f, PG - 1));
	case 5: return (off_t)(rnd(f) & ~(PG - 1) & 0x7fffffffffffffffULL);
	default: return (off_t)(PG * below(f, f->size / PG));
	}
}

static void op_mmap(struct fuzz *f)
{
	static const int flagsets[] = {
		MAP_SHARED, MAP_SHARED, MAP_SHARED, MAP_PRIVATE, MAP_SHARED_VALIDATE,
		MAP_SHARED | MAP_POPULATE, MAP_SHARED | MAP_NORESERVE, MAP_SHARED | MAP_LOCKED,
		MAP_SHARED_VALIDATE | MAP_SYNC, MAP_PRIVATE | MAP_POPULATE,
	};
	int flags = flagsets[below(f, sizeof(flagsets) / sizeof(flagsets[0]))];
	int prot = (int)below(f, 8), ro = below(f, 4) == 0, expect = 0;
	size_t len = pick_len(f), plen = (len + PG - 1) & ~(PG - 1);
	off_t off = pick_off(f);
	uint8_t *p;

	if (len == 0 || (flags & MAP_TYPE) == MAP_PRIVATE || (off & (off_t)(PG - 1)))
		expect = EINVAL;
	else if ((flags & MAP_SYNC))
		expect = EOPNOTSUPP;
	else if (ro && (prot & PROT_WRITE))
		expect = EACCES;
	else if ((size_t)off >= f->size || plen > f->size - (size_t)off)
		expect = ENXIO;
	p = mmap(NULL, len, prot, flags, ro ? f->rofd : f->fd, off);
	if (p == MAP_FAILED) {
		/* ENOMEM for absurd lengths is the VM's answer before ours. */
		if (errno != expect && !(errno == ENOMEM && plen > f->size) &&
		    !(errno == EPERM && (prot & PROT_EXEC)) && !(expect == 0 && errno == EAGAIN))
			fail(f, "mmap(len %zu, prot %d, flags %#x, off %#llx, %s fd) = %s, expected %s",
			     len, prot, flags, (long long)off, ro ? "ro" : "rw", strerror(errno),
			     expect ? strerror(expect) : "success");
		return;
	}
	if (expect) {
		fail(f, "mmap(len %zu, prot %d, flags %#x, off %#llx, %s fd) succeeded, expected %s",
		     len, prot, flags, (long long)off, ro ? "ro" : "rw", strerror(expect));
		munmap(p, plen);
		return;
	}
	if (f->nmaps == MAXMAPS) {
		munmap(p, plen);
		return;
	}
	/* On x86 an executable page is readable by the CPU. */
	f->maps[f->nmaps++] = (struct fmap){ p, plen, (size_t)off,
					     ((prot & PROT_EXEC) ? PROT_READ : 0) | (prot & (PROT_READ | PROT_WRITE)),
					     prot, ro, 0 };
}

static void drop_map(struct fuzz *f, int i)
{
	f->maps[i] = f->maps[--f->nmaps];
}

static void op_munmap(struct fuzz *f, struct fmap *m, int i)
{
	size_t pages = m->len / PG, k = 1 + below(f, pages);

	switch (below(f, 3)) {
	case 0: /* the head */
		if (k == pages)
			goto all;
		if (munmap(m->p, k * PG))
			fail(f, "munmap head: %s", strerror(errno));
		m->p += k * PG;
		m->off += k * PG;
		m->len -= k * PG;
		return;
	case 1: /* the tail */
		if (k == pages)
			goto all;
		if (munmap(m->p + m->len - k * PG, k * PG))
			fail(f, "munmap tail: %s", strerror(errno));
		m->len -= k * PG;
		return;
	default:
		break;
	}
all:
	if (munmap(m->p, m->len))
		fail(f, "munmap: %s", strerror(errno));
	drop_map(f, i);
}

/* Touch a mapped byte and compare with the shadow, or an unmapped neighbour. */
static void op_touch(struct fuzz *f, struct fmap *m)
{
	size_t at = below(f, m->len);
	int wr = (int)below(f, 2), sig;
	uint8_t v = (uint8_t)rnd(f), got = 0;

	sig = poke(m->p + at, wr ? v : -1, &got);
	if (!(m->prot & PROT_READ) && !(m->prot & PROT_WRITE)) {
		if (sig != SIGSEGV)
			fail(f, "touch of a PROT_NONE page: signal %d, expected SIGSEGV", sig);
		return;
	}
	if (wr && !(m->prot & PROT_WRITE)) {
		if (sig != SIGSEGV)
			fail(f, "write to a read-only page: signal %d, expected SIGSEGV", sig);
		return;
	}
	if (sig) {
		fail(f, "%s at BAR offset %#zx raised signal %d", wr ? "write" : "read", m->off + at, sig);
		return;
	}
	if (wr)
		f->shadow[m->off + at] = v;
	else if (got != f->shadow[m->off + at])
		fail(f, "BAR offset %#zx reads %#x, shadow says %#x", m->off + at, got,
		     f->shadow[m->off + at]);
}

static void op_mprotect(struct fuzz *f, struct fmap *m)
{
	int prot = (int)below(f, 4), r = mprotect(m->p, m->len, prot);

	if (m->ro && (prot & PROT_WRITE)) {
		if (r == 0 || errno != EACCES)
			fail(f, "mprotect(PROT_WRITE) over a read-only fd: %s, expected EACCES",
			     r ? strerror(errno) : "success");
	} else if (r) {
		fail(f, "mprotect(%d): %s", prot, strerror(errno));
	} else {
		m->prot = m->vmprot = prot;
	}
}

static void op_madvise(struct fuzz *f, struct fmap *m)
{
	static const int advice[] = { MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED,
				      MADV_DONTNEED, MADV_FREE, MADV_REMOVE, MADV_DONTFORK,
				      MADV_DOFORK, MADV_MERGEABLE, MADV_HUGEPAGE, MADV_NOHUGEPAGE,
				      MADV_DONTDUMP, MADV_COLD, MADV_PAGEOUT,
				      12345 /* no such advice */ };
	int a = advice[below(f, sizeof(advice) / sizeof(advice[0]))];

	/* Whatever it returns, no byte of the BAR may change or vanish. */
	if (madvise(m->p, m->len, a) == 0 && a == MADV_DONTFORK && madvise(m->p, m->len, MADV_DOFORK))
		m->dontfork = 1;
}

static void op_mremap(struct fuzz *f, struct fmap *m)
{
	uint8_t *q;

	switch (below(f, 3)) {
	case 0:
		q = mremap(m->p, m->len, m->len + PG, MREMAP_MAYMOVE);
		if (q != MAP_FAILED) {
			fail(f, "mremap grew a mapping");
			m->p = q;
			m->len += PG;
		}
		return;
	case 1:
		if (m->len == PG)
			return;
		q = mremap(m->p, m->len, m->len - PG, 0);
		if (q == MAP_FAILED)
			fail(f, "mremap shrink: %s", strerror(errno));
		else
			m->len -= PG;
		return;
	default:
		q = mmap(NULL, m->len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (q == MAP_FAILED)
			return;
		q = mremap(m->p, m->len, m->len, MREMAP_MAYMOVE | MREMAP_FIXED, q);
		if (q == MAP_FAILED)
			fail(f, "mremap move: %s", strerror(errno));
		else
			m->p = q;
	}
}

/* The ioctl's argument: good, NULL, read-only, a kernel address, or the BAR. */
enum { ARG_GOOD, ARG_NULL, ARG_RDONLY, ARG_KERNEL, ARG_BAR };

static void *pick_arg(struct fuzz *f, void *good, int *kind)
{
	struct fmap *m = f->nmaps ? &f->maps[0] : NULL;

	*kind = (int)below(f, 5);
	switch (*kind) {
	case ARG_NULL: return NULL;
	case ARG_RDONLY: return f->rdonly;
	case ARG_KERNEL: return (void *)0xffff888000000000ULL; /* the direct map */
	case ARG_BAR:
		if (m && m->prot == (PROT_READ | PROT_WRITE) && m->len >= 256)
			return m->p;
		break;
	default: break;
	}
	*kind = ARG_GOOD;
	return good;
}

/*
 * A file I/O request, mostly well formed: reads come from the seeded NVMe
 * area the shadow knows (nvdata), writes go past it (8 MiB on, as op_dio's);
 * now and then a bad fd (the node itself, a closed number), op, offset,
 * length or reserved word.
 */
static void pick_file_io(struct fuzz *f, struct iopmem_file_io *io)
{
	size_t pages = 1 + below(f, 16);
	uint64_t skew = 0;

	io->fd = (uint32_t)f->nvfd;
	io->op = below(f, 2) ? IOPMEM_FILE_READ : IOPMEM_FILE_WRITE;
	io->len = PG * pages;
	io->bar_offset = f->size >= io->len ? PG * below(f, (f->size - io->len) / PG + 1) : 0;
	switch (below(f, 16)) {
	case 0: io->fd = (uint32_t)f->fd; break;
	case 1: io->fd = 1000 + (uint32_t)below(f, 1000); break;
	case 2: io->op = (uint32_t)below(f, 8); break;
	case 3: io->bar_offset += 1 + below(f, 511); break;
	case 4: skew = 1 + below(f, 511); break;
	case 5: io->len = below(f, 2) ? 0 : (32U << 20) + below(f, 2) * rnd(f); break;
	case 6: io->bar_offset = f->size - PG + PG * below(f, 3); break;
	case 7: io->reserved[below(f, 3)] = rnd(f) | 1; break;
	case 8: io->flags = 1U << below(f, 32); break;
	default: break;
	}
	/* By the final op: reads within nvdata, writes past it (as op_dio's). */
	io->file_offset = skew + (io->op == IOPMEM_FILE_WRITE ? (8 << 20) + PG * below(f, 64)
							      : PG * below(f, 256));
}

/* Did a file I/O request ask for what the ABI allows? */
static int file_io_well_formed(const struct fuzz *f, const struct iopmem_file_io *io)
{
	return io->fd == (uint32_t)f->nvfd && (io->op == IOPMEM_FILE_READ || io->op == IOPMEM_FILE_WRITE) &&
	       !io->flags && !io->reserved0 && !io->reserved[0] && !io->reserved[1] && !io->reserved[2] &&
	       io->len && io->len <= (16U << 20) && !((io->file_offset | io->bar_offset | io->len) % 512) &&
	       io->bar_offset < f->size && io->len <= f->size - io->bar_offset;
}

static unsigned int pick_cmd(struct fuzz *f, struct iopmem_p2p_query *q)
{
	switch (below(f, 5)) {
	case 4:
		pick_file_io(f, (struct iopmem_file_io *)q);
		return IOPMEM_IOC_FILE_IO;
	case 0: return IOPMEM_IOC_INFO;
	case 1:
		q->client_bus = (uint8_t)below(f, 8);
		q->client_dev = (uint8_t)below(f, 40);
		q->client_fn = (uint8_t)below(f, 9);
		q->client_domain = below(f, 8) ? 0 : (uint32_t)rnd(f);
		if (below(f, 4) == 0)
			q->reserved[below(f, 2)] = rnd(f);
		return IOPMEM_IOC_P2P;
	case 2:
		return _IOC((unsigned int)below(f, 4), IOPMEM_IOC_MAGIC, (unsigned int)below(f, 256),
			    (unsigned int)below(f, 256));
	default: return (unsigned int)rnd(f);
	}
}

static void check_file_io(struct fuzz *f, const struct iopmem_file_io *io, int e)
{
	/* Well formed on the lab's P2P path: it must move every byte. */
	if (file_io_well_formed(f, io) ? (e || io->done != io->len)
				       : (e != EINVAL && e != EBADF && e != EOPNOTSUPP))
		fail(f, "FILE_IO op %u fd %u file %#llx BAR %#llx len %#llx: %s, done %llu",
		     io->op, io->fd, (unsigned long long)io->file_offset,
		     (unsigned long long)io->bar_offset, (unsigned long long)io->len,
		     e ? strerror(e) : "success", (unsigned long long)io->done);
	else if (!e && io->op == IOPMEM_FILE_READ)
		memcpy(f->shadow + io->bar_offset, f->nvdata + io->file_offset, io->len);
	if (getenv("FUZZ_DEBUG")) /* which requests moved what, when a shadow disagrees */
		printf("# case %ld: FILE_IO op %u fd %u file %#llx BAR %#llx len %#llx: errno %d, done %llu\n",
		       f->cas, io->op, io->fd, (unsigned long long)io->file_offset,
		       (unsigned long long)io->bar_offset, (unsigned long long)io->len, e,
		       (unsigned long long)io->done);
	fflush(stdout);
}

static void check_good_ioctl(struct fuzz *f, unsigned int cmd, int e, const void *buf)
{
	const struct iopmem_info *info = buf;
	const struct iopmem_p2p_query *q = buf;
	const struct iopmem_file_io *io = buf;
	int malformed;

	if (cmd == IOPMEM_IOC_FILE_IO) {
		check_file_io(f, io, e);
		return;
	}
	if (cmd == IOPMEM_IOC_INFO) {
		if (e || info->size != f->size || info->abi_version != IOPMEM_ABI_VERSION)
			fail(f, "INFO: %s, size %llu", strerror(e), (unsigned long long)info->size);
		return;
	}
	malformed = q->client_dev > 31 || q->client_fn > 7 || q->reserved[0] || q->reserved[1];
	if (malformed ? e != EINVAL : (e && e != EREMOTEIO && e != ENODEV))
		fail(f, "P2P query %x:%x:%x.%x reserved %llx: %s", q->client_domain, q->client_bus,
		     q->client_dev, q->client_fn, (unsigned long long)(q->reserved[0] | q->reserved[1]),
		     e ? strerror(e) : "success");
}

static void op_ioctl(struct fuzz *f)
{
	union {
		struct iopmem_info info;
		struct iopmem_p2p_query q;
		struct iopmem_file_io io;
		uint8_t raw[256];
	} u;
	unsigned int cmd;
	int kind, e;
	void *arg;

	memset(u.raw, 0, sizeof(u.raw));
	cmd = pick_cmd(f, &u.q);
	arg = pick_arg(f, &u, &kind);
	/*
	 * Its data and its argument could both land in the BAR; and an argument
	 * it cannot write back fails after the data moved: keep to the good one.
	 */
	if (cmd == IOPMEM_IOC_FILE_IO && (kind == ARG_BAR || kind == ARG_RDONLY)) {
		arg = &u;
		kind = ARG_GOOD;
	}
	if (kind == ARG_BAR)
		memcpy(arg, &u, sizeof(u));
	e = ioctl(f->fd, cmd, arg) < 0 ? errno : 0;
	if (kind == ARG_BAR) {
		/* Legal: the kernel wrote through the BAR mapping; follow it. */
		memcpy(f->shadow + f->maps[0].off, arg, sizeof(u));
		memcpy(&u, arg, sizeof(u));
	}
	if (cmd != IOPMEM_IOC_INFO && cmd != IOPMEM_IOC_P2P && cmd != IOPMEM_IOC_FILE_IO) {
		if (e != ENOTTY)
			fail(f, "ioctl %#x: %s, expected ENOTTY", cmd, e ? strerror(e) : "success");
	} else if (kind == ARG_GOOD || kind == ARG_BAR) {
		check_good_ioctl(f, cmd, e, &u);
	} else if (!e || (e != EFAULT && e != ENODEV && e != EINVAL)) {
		fail(f, "ioctl %#x with a bad pointer: %s, expected EFAULT", cmd,
		     e ? strerror(e) : "success");
	}
}

/* Do two requests' BAR ranges overlap? */
static int bar_overlap(const struct iopmem_file_io *a, const struct iopmem_file_io *b)
{
	return a->bar_offset < b->bar_offset + b->len && b->bar_offset < a->bar_offset + a->len;
}

/*
 * A batch of 1-8 file I/O requests as io_uring commands, in flight together,
 * now and then with a wrong command number. Reads into overlapping BAR
 * ranges would land in any order: such a request is left out.
 */
static void op_uring(struct fuzz *f)
{
	struct iopmem_file_io io[8];
	unsigned int n = 1 + (unsigned int)below(f, 8), q = 0, i, k;
	struct io_uring_cqe *cqe;

	if (!f->uring)
		return;
	memset(io, 0, sizeof(io));
	for (i = 0; i < n; i++) {
		struct io_uring_sqe *sqe;
		int clash = 0;

		pick_file_io(f, &io[q]);
		for (k = 0; k < q; k++)
			clash |= (io[k].op == IOPMEM_FILE_READ || io[q].op == IOPMEM_FILE_READ) &&
				 bar_overlap(&io[k], &io[q]);
		if (clash)
			continue;
		sqe = io_uring_get_sqe(&f->ring);
		io_uring_prep_rw(IORING_OP_URING_CMD, sqe, f->fd, NULL, 0, 0);
		sqe->cmd_op = below(f, 16) ? IOPMEM_URING_CMD_FILE_IO : (uint32_t)rnd(f);
		memcpy(sqe->cmd, &io[q], sizeof(io[q]));
		io_uring_sqe_set_data64(sqe, sqe->cmd_op == IOPMEM_URING_CMD_FILE_IO ? q : 8);
		q++;
	}
	if (io_uring_submit_and_wait(&f->ring, q) != (int)q) {
		fail(f, "io_uring_submit_and_wait of %u commands failed", q);
		return;
	}
	for (i = 0; i < q; i++) {
		uint64_t tag;
		int res;

		if (io_uring_wait_cqe(&f->ring, &cqe)) {
			fail(f, "io_uring_wait_cqe failed");
			return;
		}
		tag = io_uring_cqe_get_data64(cqe);
		res = cqe->res;
		io_uring_cqe_seen(&f->ring, cqe);
		if (tag == 8) {
			if (res != -ENOTTY)
				fail(f, "io_uring command with a wrong cmd_op: %d, expected ENOTTY", res);
			continue;
		}
		io[tag].done = res > 0 ? (uint64_t)res : 0;
		check_file_io(f, &io[tag], res < 0 ? -res : 0);
	}
}

/* fork(): the child checks a mapping against the shadow it inherited. */
static void op_fork(struct fuzz *f, struct fmap *m)
{
	size_t at = below(f, m->len);
	pid_t pid;
	int st = 0;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		uint8_t got = 0;

		if (!(m->prot & PROT_READ))
			_exit(0);
		/* Not copied into the child: nothing there (SIGSEGV), as documented. */
		if (m->dontfork)
			_exit(poke(m->p + at, -1, &got) == SIGSEGV ? 0 : 3);
		_exit(poke(m->p + at, -1, &got) ? 2 : got != f->shadow[m->off + at]);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		fail(f, "fork: the child's view of BAR offset %#zx differs (status %#x)", m->off + at, st);
}

/* O_DIRECT from NVMe into a mapping, or from a mapping to NVMe. */
static void op_dio(struct fuzz *f, struct fmap *m)
{
	size_t n = PG * (1 + below(f, m->len / PG < 16 ? m->len / PG : 16));
	size_t at = PG * below(f, (m->len - n) / PG + 1), src = PG * below(f, 256);
	int rd = (int)below(f, 2);
	ssize_t r;

	if (rd) {
		r = pread(f->nvfd, m->p + at, n, (off_t)src);
		if (m->vmprot & PROT_WRITE) {
			if (r != (ssize_t)n)
				fail(f, "O_DIRECT read into the BAR: %zd (%s)", r, strerror(errno));
			else
				memcpy(f->shadow + m->off + at, f->nvdata + src, n);
		} else if (r >= 0) {
			fail(f, "O_DIRECT read into a read-only mapping succeeded");
		}
		return;
	}
	/*
	 * To the NVMe area after the seeded data. The device reads, so GUP wants
	 * PROT_READ; without it the kernel's answer depends on whether the CPU
	 * already faulted the pages in (GUP-fast takes present PTEs), as for any
	 * memory: EFAULT or success are both right, nothing else is.
	 */
	r = pwrite(f->nvfd, m->p + at, n, (off_t)(8 << 20));
	if ((m->vmprot & PROT_READ) && r != (ssize_t)n)
		fail(f, "O_DIRECT write from the BAR (prot %d, %s fd, %zu at BAR %#zx): %zd (%s)",
		     m->vmprot, m->ro ? "ro" : "rw", n, m->off + at, r, strerror(errno));
	if (!(m->vmprot & PROT_READ) && r != (ssize_t)n && !(r < 0 && errno == EFAULT))
		fail(f, "O_DIRECT write from a mapping without PROT_READ: %zd (%s)", r, strerror(errno));
}

static void op_rw(struct fuzz *f)
{
	char buf[64];

	/* The node has no read/write: the data path is mmap. */
	if (read(f->fd, buf, sizeof(buf)) >= 0 || write(f->fd, buf, sizeof(buf)) >= 0)
		fail(f, "read()/write() on the node succeeded");
}

static void one_case(struct fuzz *f)
{
	int op = (int)below(f, OP_COUNT), i = f->nmaps ? (int)below(f, (size_t)f->nmaps) : -1;
	struct fmap *m = i >= 0 ? &f->maps[i] : NULL;

	if (!m && op != OP_IOCTL && op != OP_RW && op != OP_URING)
		op = OP_MMAP;
	if (op == OP_FORK && below(f, 8))
		op = OP_TOUCH; /* fork is slow under emulation: rarer */
	f->ops[op]++;
	switch (op) {
	case OP_MMAP: op_mmap(f); break;
	case OP_MUNMAP: op_munmap(f, m, i); break;
	case OP_TOUCH: op_touch(f, m); break;
	case OP_MPROTECT: op_mprotect(f, m); break;
	case OP_MADVISE: op_madvise(f, m); break;
	case OP_MREMAP: op_mremap(f, m); break;
	case OP_IOCTL: op_ioctl(f); break;
	case OP_FORK: op_fork(f, m); break;
	case OP_DIO: op_dio(f, m); break;
	case OP_URING: op_uring(f); break;
	default: op_rw(f); break;
	}
}

/* The end: nothing pinned, the whole BAR equal to the shadow. */
static void final_check(struct fuzz *f, const char *out)
{
	struct tmap t;
	size_t i, bad = 0, first = 0, last = 0;

	while (f->nmaps) {
		munmap(f->maps[0].p, f->maps[0].len);
		drop_map(f, 0);
	}
	if (tmap_open(&t, f->dev, 0)) {
		fail(f, "final mapping of the whole BAR failed");
		return;
	}
	for (i = 0; i < f->size; i++) {
		if (t.p[i] == f->shadow[i])
			continue;
		first = bad++ ? first : i;
		last = i;
	}
	if (bad)
		fail(f, "%zu bytes of the BAR differ from the shadow at the end, in [%#zx, %#zx]", bad,
		     first, last);
	tmap_close(&t);
	if (out) {
		FILE *o = fopen(out, "we");

		if (!o || fwrite(f->shadow, 1, f->size, o) != f->size || fclose(o))
			fail(f, "cannot write the shadow to %s", out);
	}
}

static int setup(struct fuzz *f, const char *dev, const char *nvme)
{
	struct tmap t;
	catch_faults();
	f->dev = dev;
	f->rofd = open(dev, O_RDONLY | O_CLOEXEC);
	f->nvfd = open(nvme, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (f->rofd < 0 || f->nvfd < 0 || tmap_open(&t, dev, 0))
		return -1;
	f->fd = t.fd;
	f->size = t.info.size;
	if (f->size < PG)
		return -1;
	f->shadow = malloc(f->size);
	f->rdonly = mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!f->shadow || f->rdonly == MAP_FAILED || posix_memalign((void **)&f->nvdata, PG, 256 * PG + 16 * PG) ||
	    pread(f->nvfd, f->nvdata, 256 * PG + 16 * PG, 0) != (ssize_t)(272 * PG))
		return -1;
	memcpy(f->shadow, t.p, f->size);
	munmap(t.p, t.len);
	f->uring = io_uring_queue_init(8, &f->ring, IORING_SETUP_SQE128) == 0;
	return 0;
}

int main(int argc, char **argv)
{
	struct fuzz f = { 0 };
	long cases, i;
	int k;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 5 || argc > 6) {
		fprintf(stderr, "usage: iopmem-fuzz DEV NVME SEED CASES [SHADOW_OUT]\n");
		return 2;
	}
	f.rng = strtoull(argv[3], NULL, 0) * 2654435761ULL + 1;
	cases = strtol(argv[4], NULL, 0);
	if (setup(&f, argv[1], argv[2])) {
		perror("iopmem-fuzz: setup");
		free(f.shadow);
		free(f.nvdata);
		return 2;
	}
	for (i = 0; i < cases && f.fails < 100; i++) {
		f.cas = i;
		one_case(&f);
	}
	f.cas = i;
	final_check(&f, argc == 6 ? argv[5] : NULL);
	printf("# fuzz seed %s: %ld cases,", argv[3], i);
	for (k = 0; k < OP_COUNT; k++)
		printf(" %s %ld", op_names[k], f.ops[k]);
	printf("; %ld oracle failures\n", f.fails);
	return f.fails > 100 ? 100 : (int)f.fails;
}
