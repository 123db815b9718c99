/* SPDX-License-Identifier: MIT */
/* What the iopmem subcommands share. */
#ifndef IOPMEM_CLI_H
#define IOPMEM_CLI_H

#include <stddef.h>

#include "libiopmem.h"

struct opts {
	int json;
	const char *root;
	const char *args[2];
	int nargs;
};

void json_str(const char *s);
int p2p_relevant(const struct iopmem_func *f);
int read_attr(const char *root, const char *node, const char *attr, char *buf, size_t len);
int cmd_doctor(struct iopmem_ctx *ctx, const struct opts *o);

#endif
