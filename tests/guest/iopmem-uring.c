// SPDX-License-Identifier: MIT
/*
 * iopmem-uring: the module's file I/O as io_uring passthrough commands
 * (IOPMEM_URING_CMD_FILE_IO on /dev/iopmemN), many in flight at once.
 *
 *   iopmem-uring io DEV FILE read|write FOFF BOFF LEN QD
 *                                LEN split into QD requests (multiples of 512
 *                                bytes) submitted together; prints done=N
 *                                errno=E (the first failure), exits with E
 *   iopmem-uring bad DEV FILE    malformed commands and what they must get
 *   iopmem-uring unbind DEV NVME BDF
 *                                unbind while a queue of requests is in flight
 *   iopmem-uring register DEV    register 1 MiB of the mapping (BAR scratch
 *                                [0, 1M)) as an io_uring fixed buffer, a
 *                                long-term pin; prints register=E (0: taken)
 *
 * bad and unbind print "ok - ..." / "not ok - ..." and exit with the failure
 * count.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <liburing.h>

#include "iopmem_map.h"

#define MAX_QD 64U

/* Queue one FILE_IO command: @cmd_op and @io as given, user_data @tag. */
static void prep(struct io_uring *ring, int dfd, uint32_t cmd_op, const struct iopmem_file_io *io,
		 uint64_t tag)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, dfd, NULL, 0, 0);
	sqe->cmd_op = cmd_op;
	memcpy(sqe->cmd, io, sizeof(*io));
	io_uring_sqe_set_data64(sqe, tag);
}

/* Reap @n completions: the sum of the bytes moved, the first failure in *err. */
static unsigned long long reap(struct io_uring *ring, unsigned int n, int *err)
{
	unsigned long long done = 0;
	struct io_uring_cqe *cqe;

	*err = 0;
	while (n--) {
		int ret = io_uring_wait_cqe(ring, &cqe);

		if (ret < 0) {
			*err = -ret;
			break;
		}
		if (cqe->res < 0 && !*err)
			*err = -cqe->res;
		else if (cqe->res > 0)
			done += (unsigned long long)cqe->res;
		io_uring_cqe_seen(ring, cqe);
	}
	return done;
}

/* One request, its CQE's result (bytes, or a negative errno). */
static int one(struct io_uring *ring, int dfd, uint32_t cmd_op, const struct iopmem_file_io *io)
{
	struct io_uring_cqe *cqe;
	int ret;

	prep(ring, dfd, cmd_op, io, 1);
	ret = io_uring_submit_and_wait(ring, 1);
	if (ret < 0)
		return ret;
	ret = io_uring_wait_cqe(ring, &cqe);
	if (ret < 0)
		return ret;
	ret = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return ret;
}

static int cmd_io(char **argv)
{
	struct iopmem_file_io io = { 0 };
	unsigned long long foff = strtoull(argv[5], NULL, 0), boff = strtoull(argv[6], NULL, 0);
	unsigned long long len = strtoull(argv[7], NULL, 0), each, done;
	unsigned int qd = (unsigned int)strtoul(argv[8], NULL, 0), i;
	struct io_uring ring;
	int fd, dfd, err;

	io.op = !strcmp(argv[4], "read") ? IOPMEM_FILE_READ : IOPMEM_FILE_WRITE;
	dfd = open(argv[2], O_RDWR | O_CLOEXEC);
	fd = open(argv[3], (io.op == IOPMEM_FILE_READ ? O_RDONLY : O_WRONLY) | O_CLOEXEC);
	if (dfd < 0 || fd < 0 || !qd || qd > MAX_QD) {
		perror("iopmem-uring io: open");
		return 2;
	}
	err = io_uring_queue_init(qd, &ring, IORING_SETUP_SQE128);
	if (err) {
		fprintf(stderr, "iopmem-uring: io_uring_queue_init: %s\n", strerror(-err));
		return 2;
	}
	io.fd = (uint32_t)fd;
	each = (len / qd + 511) & ~511ULL;
	for (i = 0; i < qd && len; i++) {
		io.len = len < each ? len : each;
		io.file_offset = foff;
		io.bar_offset = boff;
		prep(&ring, dfd, IOPMEM_URING_CMD_FILE_IO, &io, i);
		foff += io.len;
		boff += io.len;
		len -= io.len;
	}
	err = io_uring_submit(&ring);
	done = err < 0 ? 0 : reap(&ring, i, &err);
	printf("done=%llu errno=%d\n", done, err < 0 ? -err : err);
	io_uring_queue_exit(&ring);
	close(fd);
	close(dfd);
	return err < 0 ? -err : err;
}

static int cmd_bad(const char *dev, const char *file)
{
	int dfd = open(dev, O_RDWR | O_CLOEXEC), fd = open(file, O_RDONLY | O_CLOEXEC), ret;
	struct iopmem_file_io io = { .op = IOPMEM_FILE_READ, .len = 4096 };
	struct iopmem_info info = { 0 };
	struct io_uring ring;

	if (dfd < 0 || fd < 0 || ioctl(dfd, IOPMEM_IOC_INFO, &info) < 0) {
		perror("iopmem-uring bad");
		return 1;
	}
	io.fd = (uint32_t)fd;
	check(info.flags & IOPMEM_INFO_F_URING_CMD, "IOPMEM_IOC_INFO offers the io_uring command", 0);
	if (io_uring_queue_init(4, &ring, 0) == 0) {
		ret = one(&ring, dfd, IOPMEM_URING_CMD_FILE_IO, &io);
		check(ret == -EINVAL, "io_uring: a 64-byte SQE (no room for the command) is EINVAL", -ret);
		io_uring_queue_exit(&ring);
	}
	if (io_uring_queue_init(4, &ring, IORING_SETUP_SQE128)) {
		check(0, "a ring with 128-byte SQEs", 0);
		return test_failures;
	}
	ret = one(&ring, dfd, IOPMEM_IOC_INFO, &io);
	check(ret == -ENOTTY, "io_uring: an unknown command is ENOTTY", -ret);
	io.done = 1;
	ret = one(&ring, dfd, IOPMEM_URING_CMD_FILE_IO, &io);
	check(ret == -EINVAL, "io_uring: a non-zero done field is EINVAL", -ret);
	io.done = 0;
	io.bar_offset = 100;
	ret = one(&ring, dfd, IOPMEM_URING_CMD_FILE_IO, &io);
	check(ret == -EINVAL, "io_uring: a BAR offset off the 512-byte block is EINVAL", -ret);
	io.bar_offset = info.size;
	ret = one(&ring, dfd, IOPMEM_URING_CMD_FILE_IO, &io);
	check(ret == -EINVAL, "io_uring: a range past the BAR's end is EINVAL", -ret);
	io.bar_offset = 0;
	io.op = IOPMEM_FILE_WRITE;
	ret = one(&ring, dfd, IOPMEM_URING_CMD_FILE_IO, &io);
	check(ret == -EBADF, "io_uring: writing to a file opened read-only is EBADF", -ret);
	io_uring_queue_exit(&ring);
	close(fd);
	close(dfd);
	return test_failures;
}

/*
 * A child keeps 8 reads of 512 KiB in flight, NVMe -> BAR [44, 48) MiB
 * (scratch in lab-p2p's layout); unbind comes in the middle. Unbind must
 * return promptly (it waits for the DMA in flight, not for the submitter to
 * reap), requests after it must fail with ENODEV, and the device must bind
 * again.
 */
static void unbind_child(int dfd, int nfd)
{
	struct iopmem_file_io io = { .fd = (uint32_t)nfd, .op = IOPMEM_FILE_READ, .len = 512U << 10 };
	struct io_uring ring;
	unsigned long n = 0;
	unsigned int i;
	int err;

	if (io_uring_queue_init(8, &ring, IORING_SETUP_SQE128))
		_exit(4);
	for (;;) {
		for (i = 0; i < 8; i++) {
			io.bar_offset = (44ULL << 20) + i * io.len;
			prep(&ring, dfd, IOPMEM_URING_CMD_FILE_IO, &io, i);
		}
		if (io_uring_submit(&ring) != 8)
			_exit(2);
		reap(&ring, 8, &err);
		if (err)
			_exit(err == ENODEV ? (n ? 0 : 3) : 2);
		n++;
	}
}

/* A long-term pin of the mapping: io_uring_register_buffers(). */
static int cmd_register(const char *dev)
{
	struct io_uring ring;
	struct iovec iov;
	struct tmap m;
	int ret;

	if (tmap_open(&m, dev, 1U << 20) || io_uring_queue_init(4, &ring, 0)) {
		perror("iopmem-uring register");
		return 2;
	}
	iov.iov_base = m.p;
	iov.iov_len = 1U << 20;
	ret = io_uring_register_buffers(&ring, &iov, 1);
	printf("register=%d\n", ret < 0 ? -ret : 0);
	if (!ret)
		io_uring_unregister_buffers(&ring);
	io_uring_queue_exit(&ring);
	tmap_close(&m);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 9 && !strcmp(argv[1], "io"))
		return cmd_io(argv);
	if (argc == 4 && !strcmp(argv[1], "bad"))
		return cmd_bad(argv[2], argv[3]);
	if (argc == 5 && !strcmp(argv[1], "unbind"))
		return unbind_under_file_io(argv[2], argv[3], argv[4], unbind_child,
					    "the module's file I/O (io_uring, 8 in flight)");
	if (argc == 3 && !strcmp(argv[1], "register"))
		return cmd_register(argv[2]);
	fprintf(stderr, "usage: iopmem-uring io DEV FILE read|write FOFF BOFF LEN QD |\n"
			"       iopmem-uring bad DEV FILE | iopmem-uring unbind DEV NVME BDF |\n"
			"       iopmem-uring register DEV\n");
	return 2;
}
