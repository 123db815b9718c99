/* SPDX-License-Identifier: MIT */
/* The copy engine's shared state: planned in copy.c, run by engine.c. */
#ifndef LIBIOPMEM_COPY_INTERNAL_H
#define LIBIOPMEM_COPY_INTERNAL_H

#include <stdint.h>

#include "internal.h"

/*
 * O_DIRECT alignment of offsets, lengths and addresses when a file does not
 * report its own (statx STATX_DIOALIGN, Linux 6.1+); also the unit of chunks.
 */
#define COPY_ALIGN 4096U

/* One side of a copy, as the engine sees it. */
struct side {
	int fd_direct;       /* O_DIRECT descriptor, -1 if none (or not a file) */
	int fd_buffered;     /* page-cache descriptor, -1 if none (or not a file) */
	int own_direct;      /* fd_direct is the library's (a reopen) and closed by it */
	int own_buffered;    /* fd_buffered likewise; else they are the caller's fd */
	int reopen_err;      /* why the second descriptor could not be opened, 0 if it was */
	unsigned int align;  /* the file's O_DIRECT alignment; 0 for memory */
	uint64_t off;        /* file offset of the copy's byte 0 */
	uint8_t *mem;        /* memory of the copy's byte 0, NULL for a file */
	int device;          /* mem is device memory (a BAR or p2pmem) */
	const char *label;   /* "source", "destination" */
};

struct job {
	struct iopmem_ctx *ctx;
	const struct iopmem_copy_opts *o;
	struct iopmem_copy_result *res;
	struct side src, dst;
	const struct iopmem_end *src_end;
	uint64_t len;
	uint64_t done;       /* bytes complete, for progress */
	uint64_t head;       /* [head, mid_end) moves by O_DIRECT; the rest bounces */
	uint64_t mid_end;
	size_t chunk;
	unsigned int qd;
	int queued;          /* the engine that ran kept up to qd requests in flight */
	unsigned int align;  /* O_DIRECT alignment of both ends (the larger) */
	uint8_t *stage;      /* file to file: qd chunks the data passes through */
	int stage_device;
	int p2p;             /* the direct path's memory is device memory */
	uint8_t *bounce;     /* one chunk of host RAM for the CPU path */
	int bounce_all;      /* every remaining byte goes through the CPU path */
	int cancelled;
	int refused_err;     /* the errno the kernel refused DMA with, 0 if none */
	const struct iopmem_buf *kbuf; /* iopmem.ko may move the P2P part: this buffer */
	uint64_t kbuf_off;   /* the copy's byte 0 in kbuf */
	int kbuf_is_src;     /* kbuf is the source (written to the file) */
	int err;             /* the first failure: later ones keep its words */
};

/* copy.c */
void job_note(struct job *j, unsigned int flag, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* kernel_io.c */
void plan_kernel(struct job *j, const struct iopmem_end *src, const struct iopmem_end *dst);
int engine_kernel(struct job *j);

/* engine.c */
int job_fail(struct job *j, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int engine_bounce(struct job *j, uint64_t pos, uint64_t n);
int engine_direct(struct job *j);
int job_progress(struct job *j, uint64_t n);

#endif
