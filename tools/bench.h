/* SPDX-License-Identifier: MIT */
/* iopmem bench's figures, and its fio reference (bench_fio.c). */
#ifndef IOPMEM_BENCH_H
#define IOPMEM_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"

struct figure {
	double gbps, cpu_per_gib;
	uint64_t bounced;
	const char *path;
};

int bench_fio(const char *storage, int write, uint64_t chunk, uint64_t qd, uint64_t size,
	      struct figure *f, char *why, size_t whylen);

#endif
