// SPDX-License-Identifier: MIT
/*
 * iopmem-soak: the guest half of the data-integrity soak (lab/soak on the
 * host). Rounds of two copies with libiopmem's engine, P2P only:
 *
 *   NVMe [0, C)  -> BAR [0, C)     ("down", data the host seeded in the image)
 *   BAR [C, 2C)  -> NVMe [C, 2C)   ("up", data the host seeded in the BAR)
 *
 * The host seeds each round's data and checks both destinations before the
 * next. They talk through a mailbox in the BAR's last page, which both sides
 * see: the host writes GO with the round number, the guest answers DONE (or
 * FAIL with an errno). The guest never checks the bytes itself.
 *
 *   iopmem-soak DEV NVME CHUNK
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libiopmem.h>

#include "soak_mailbox.h"

static int copy_one(struct iopmem_ctx *ctx, struct iopmem_end *src, struct iopmem_end *dst,
		    uint64_t len, struct iopmem_copy_result *res)
{
	struct iopmem_copy_opts o = { .flags = IOPMEM_COPY_NO_FALLBACK };
	int ret = iopmem_copy(ctx, src, dst, len, &o, res);

	if (!ret && res->bytes_p2p != len)
		ret = -EXDEV; /* a byte took another path: not what this soak measures */
	if (ret)
		fprintf(stderr, "iopmem-soak: copy failed: %s (%s)\n", strerror(-ret),
			iopmem_ctx_error(ctx));
	return ret;
}

static void wait_go(volatile struct soak_mailbox *mb, uint32_t round)
{
	struct timespec ts = { 0, 2000000 };

	while (!(mb->cmd == SOAK_GO && mb->round == round) && mb->cmd != SOAK_STOP)
		nanosleep(&ts, NULL);
	__sync_synchronize();
}

int main(int argc, char **argv)
{
	struct iopmem_end nv_src = { .type = IOPMEM_END_FD }, nv_dst = { .type = IOPMEM_END_FD };
	struct iopmem_end bar_dst = { .type = IOPMEM_END_BUF }, bar_src = { .type = IOPMEM_END_BUF };
	struct iopmem_copy_result res;
	volatile struct soak_mailbox *mb;
	struct iopmem_ctx *ctx;
	struct iopmem_buf *buf;
	uint64_t chunk, moved = 0;
	double secs = 0;
	uint32_t round;
	int fd, ret = 0;

	if (argc != 4 || !(chunk = strtoull(argv[3], NULL, 0)) || chunk % 4096) {
		fprintf(stderr, "usage: iopmem-soak DEV NVME CHUNK (a multiple of 4096)\n");
		return 2;
	}
	fd = open(argv[2], O_RDWR | O_CLOEXEC);
	if (fd < 0 || iopmem_ctx_new(&ctx, NULL) ||
	    iopmem_buf_open(ctx, argv[1], 0, 0, &buf)) {
		perror("iopmem-soak: setup");
		return 2;
	}
	if (iopmem_buf_size(buf) < 2 * chunk + SOAK_MAILBOX_SIZE) {
		fprintf(stderr, "iopmem-soak: %s is too small for two %llu-byte chunks\n", argv[1],
			(unsigned long long)chunk);
		return 2;
	}
	mb = (void *)((char *)iopmem_buf_addr(buf) + iopmem_buf_size(buf) - SOAK_MAILBOX_SIZE);
	nv_src.fd = nv_dst.fd = fd;
	nv_dst.offset = chunk;
	bar_dst.buf = bar_src.buf = buf;
	bar_src.offset = chunk;
	mb->magic = SOAK_MAGIC;
	mb->cmd = SOAK_READY;
	for (round = 0;; round++) {
		wait_go(mb, round);
		if (mb->cmd == SOAK_STOP)
			break;
		ret = copy_one(ctx, &nv_src, &bar_dst, chunk, &res);
		secs += res.seconds;
		if (!ret) {
			ret = copy_one(ctx, &bar_src, &nv_dst, chunk, &res);
			secs += res.seconds;
		}
		if (ret) {
			mb->err = (uint32_t)-ret;
			__sync_synchronize();
			mb->cmd = SOAK_FAIL;
			break;
		}
		moved += 2 * chunk;
		__sync_synchronize();
		mb->cmd = SOAK_DONE;
	}
	printf("soak: %u rounds, %llu MiB moved P2P in %.1f s of copying\n", round,
	       (unsigned long long)(moved >> 20), secs);
	iopmem_buf_close(buf);
	iopmem_ctx_free(ctx);
	close(fd);
	return ret ? 1 : 0;
}
