/* SPDX-License-Identifier: MIT */
/* What the iopmem subcommands share. */
#ifndef IOPMEM_CLI_H
#define IOPMEM_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "libiopmem.h"

struct pci_access;

struct opts {
	int json;
	const char *root;
	const char *args[2];
	int nargs;
	int printed;       /* a --json document went out */
	char error[1024];  /* the last failure (cli_fail()), for --json */
	struct pci_access *pci; /* libpci, for device names (func_name()), made on first use */
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

/* What copy --verify found (verify.c). */
enum verify_state { V_NONE, V_MATCH, V_MISMATCH, V_UNREADABLE, V_INTERRUPTED };

struct verify_result {
	enum verify_state state;
	uint64_t at; /* V_MISMATCH: the first differing byte, from the start of the copy */
};

extern const char *const verify_names[];
void copy_verify(struct iopmem_ctx *ctx, struct opts *o, const struct cli_end *s,
		 const struct cli_end *d, uint64_t len, int (*stop)(void *, uint64_t, uint64_t),
		 struct verify_result *v);

/* Bounds of --qd and --chunk (copy and bench), the copy engine's own. */
#define CLI_QD_MAX    1024
#define CLI_CHUNK_MAX ((uint64_t)64 << 20)

/* json.c */
json_t *jstr(const char *s);
void jset(json_t *obj, const char *key, json_t *val);
void json_print(struct opts *o, json_t *doc);
int cli_fail(struct opts *o, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void json_error(struct opts *o, int code);

int parse_size(const char *s, uint64_t *out);
int parse_size_list(const char *s, uint64_t *vals, int max);
const char *qd_problem(uint64_t qd);
const char *chunk_problem(uint64_t chunk);
const char *fmt_bytes(uint64_t v, char *buf, size_t len);
int end_open(struct iopmem_ctx *ctx, struct opts *o, const char *name, int write, struct cli_end *e);
void end_close(struct cli_end *e);
int cmd_copy(struct iopmem_ctx *ctx, int argc, char **argv, struct opts *o);
int cmd_bench(struct iopmem_ctx *ctx, int argc, char **argv, struct opts *o);
int p2p_relevant(const struct iopmem_func *f);
int read_attr(const char *root, const char *node, const char *attr, char *buf, size_t len);
int cmd_doctor(struct iopmem_ctx *ctx, struct opts *o);
const char *func_name(struct opts *o, const struct iopmem_func *f, char *buf, size_t len);

#endif
