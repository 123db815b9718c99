/* SPDX-License-Identifier: MIT */
/* What the iopmem subcommands share. */
#ifndef IOPMEM_CLI_H
#define IOPMEM_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "libiopmem.h"

struct opts {
	int json;
	const char *root;
	const char *args[2];
	int nargs;
};

/* A copy end named on the command line. */
struct cli_end {
	struct iopmem_end end;
	int fd;
	struct iopmem_buf *buf;
	const char *name;
	int64_t capacity; /* bytes, -1 unknown */
	int grows;        /* a regular-file destination: capacity is no limit */
	int readable;     /* a file end opened for reading too (--verify) */
};

/* Bounds of --qd and --chunk (copy and bench), the copy engine's own. */
#define CLI_QD_MAX    1024
#define CLI_CHUNK_MAX ((uint64_t)64 << 20)

void json_str(const char *s);
int parse_size(const char *s, uint64_t *out);
int parse_size_list(const char *s, uint64_t *vals, int max);
const char *qd_problem(uint64_t qd);
const char *chunk_problem(uint64_t chunk);
const char *fmt_bytes(uint64_t v, char *buf, size_t len);
int end_open(struct iopmem_ctx *ctx, const char *root, const char *name, int write,
	     struct cli_end *e);
void end_close(struct cli_end *e);
int cmd_copy(struct iopmem_ctx *ctx, int argc, char **argv, struct opts *o);
int cmd_bench(struct iopmem_ctx *ctx, int argc, char **argv, struct opts *o);
int p2p_relevant(const struct iopmem_func *f);
int read_attr(const char *root, const char *node, const char *attr, char *buf, size_t len);
int cmd_doctor(struct iopmem_ctx *ctx, const struct opts *o);

#endif
