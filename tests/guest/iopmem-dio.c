// SPDX-License-Identifier: MIT
/*
 * iopmem-dio: move bytes between a block device and an iopmem BAR with
 * O_DIRECT (pread/pwrite) or io_uring, the BAR mapping being the I/O buffer,
 * so the block device DMAs straight into or out of the BAR.
 *
 *   iopmem-dio read|write [--uring|--buffered] [--chunk N] DEV BLOCKDEV BAR_OFF DEV_OFF LEN
 *
 * --buffered: no O_DIRECT, the kernel copies through the page cache with the
 * CPU (the case the module must count as a CPU access, not as DMA).
 * read: BLOCKDEV[DEV_OFF..+LEN) -> BAR[BAR_OFF..); write: the reverse.
 * The mapping deliberately covers BAR_OFF+LEN plus a non-page-multiple slack,
 * as real tools do. Exit 0 on success; otherwise prints the errno name and
 * exits with errno (e.g. 121 = EREMOTEIO: the kernel refused the P2P path).
 */
#define _GNU_SOURCE
#include <liburing.h>

#include "iopmem_map.h"

struct job {
	int write;
	int uring;
	int buffered;
	size_t chunk;
	const char *dev, *bdev;
	long long bar_off, dev_off, len;
};

static int xfer_sync(const struct job *j, int bfd, uint8_t *buf)
{
	long long done = 0;

	while (done < j->len) {
		size_t n = (size_t)(j->len - done) < j->chunk ? (size_t)(j->len - done) : j->chunk;
		ssize_t r = j->write ? pwrite(bfd, buf + done, n, j->dev_off + done)
				     : pread(bfd, buf + done, n, j->dev_off + done);
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EIO;
		done += r;
	}
	return 0;
}

static int xfer_uring(const struct job *j, int bfd, uint8_t *buf)
{
	struct io_uring ring;
	long long done = 0;
	int ret = io_uring_queue_init(8, &ring, 0);

	if (ret < 0)
		return ret;
	while (done < j->len && ret >= 0) {
		size_t n = (size_t)(j->len - done) < j->chunk ? (size_t)(j->len - done) : j->chunk;
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
		struct io_uring_cqe *cqe;

		if (j->write)
			io_uring_prep_write(sqe, bfd, buf + done, n, j->dev_off + done);
		else
			io_uring_prep_read(sqe, bfd, buf + done, n, j->dev_off + done);
		ret = io_uring_submit_and_wait(&ring, 1);
		if (ret < 0)
			break;
		ret = io_uring_wait_cqe(&ring, &cqe);
		if (ret < 0)
			break;
		ret = cqe->res;
		io_uring_cqe_seen(&ring, cqe);
		if (ret == 0)
			ret = -EIO;
		if (ret > 0)
			done += ret;
	}
	io_uring_queue_exit(&ring);
	return ret < 0 ? ret : 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: iopmem-dio read|write [--uring|--buffered] [--chunk N] DEV BLOCKDEV BAR_OFF DEV_OFF LEN\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct job j = { .chunk = 1 << 20 };
	struct tmap m;
	int i = 1, bfd, ret;

	if (argc < 2)
		return usage();
	j.write = !strcmp(argv[i], "write");
	if (!j.write && strcmp(argv[i], "read"))
		return usage();
	for (i++; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--uring"))
			j.uring = 1;
		else if (!strcmp(argv[i], "--buffered"))
			j.buffered = 1;
		else if (!strcmp(argv[i], "--chunk") && i + 1 < argc)
			j.chunk = (size_t)parse_size(argv[++i]);
		else
			return usage();
	}
	if (argc - i != 5)
		return usage();
	j.dev = argv[i];
	j.bdev = argv[i + 1];
	j.bar_off = parse_size(argv[i + 2]);
	j.dev_off = parse_size(argv[i + 3]);
	j.len = parse_size(argv[i + 4]);
	if (j.bar_off < 0 || j.dev_off < 0 || j.len <= 0 || j.chunk == 0 || j.chunk > (1 << 30))
		return usage();

	/* bs + slack: a length that is not a page multiple must map fine. */
	ret = tmap_open(&m, j.dev, (size_t)(j.bar_off + j.len) + 100);
	if (ret) {
		fprintf(stderr, "iopmem-dio: %s: %s\n", j.dev, strerror(-ret));
		return 1;
	}
	bfd = open(j.bdev, (j.write ? O_WRONLY : O_RDONLY) | (j.buffered ? 0 : O_DIRECT) | O_CLOEXEC);
	if (bfd < 0) {
		fprintf(stderr, "iopmem-dio: %s: %s\n", j.bdev, strerror(errno));
		return 1;
	}
	ret = j.uring ? xfer_uring(&j, bfd, m.p + j.bar_off) : xfer_sync(&j, bfd, m.p + j.bar_off);
	if (!ret && j.write)
		ret = fsync(bfd) ? -errno : 0;
	close(bfd);
	tmap_close(&m);
	if (ret) {
		fprintf(stderr, "iopmem-dio: %s %s: %s (%s)\n", j.write ? "write to" : "read from",
			j.bdev, strerrorname_np(-ret) ? strerrorname_np(-ret) : "?", strerror(-ret));
		return -ret;
	}
	printf("iopmem-dio: %s %lld bytes %s %s by %s\n", j.write ? "wrote" : "read", j.len,
	       j.write ? "from BAR to" : "from", j.bdev, j.uring ? "io_uring" : j.buffered ? "buffered I/O" : "O_DIRECT");
	return 0;
}
