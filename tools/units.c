// SPDX-License-Identifier: MIT
/* Sizes as people write them (64M, 4KiB, 1G) and as they like to read them. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

/* The suffix after the digits: its power of 1024, or -1 if it is not one. */
static int suffix_shift(const char *u)
{
	static const char units[] = "KMGT";
	const char *p;

	if (!*u || !strcasecmp(u, "B"))
		return 0;
	p = strchr(units, toupper((unsigned char)*u));
	if (!p || (u[1] && strcasecmp(u + 1, "B") && strcasecmp(u + 1, "iB")))
		return -1;
	return 10 * (int)(p - units + 1);
}

/**
 * parse_size() - a byte count or count as people write it, never a C literal.
 * @s: decimal digits, then optionally B, or K, M, G, T (powers of 1024) each
 *     optionally followed by B or iB, in any case: "4096", "010" (ten),
 *     "512B", "4k", "4kib", "64KB", "1M", "2GiB", "1T".
 * @out: the value.
 *
 * No sign, no white space, no hex or octal, nothing empty: a typo must not
 * become another number.
 *
 * Return: 0, or -EINVAL for anything else (including overflow).
 */
int parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;
	int shift;

	if (!s || s[0] < '0' || s[0] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	shift = suffix_shift(end);
	if (shift < 0 || (shift && v > (~0ULL >> shift)))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

/* "1,8,32" or "128K,1M" into at most max values. Return: the count, or -EINVAL. */
int parse_size_list(const char *s, uint64_t *vals, int max)
{
	char buf[256], *tok, *save = NULL;
	int n = 0;

	if (snprintf(buf, sizeof(buf), "%s", s) >= (int)sizeof(buf))
		return -EINVAL;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (n == max || parse_size(tok, &vals[n]) || !vals[n])
			return -EINVAL;
		n++;
	}
	return n ? n : -EINVAL;
}

/*
 * The bounds the CLI puts on --qd and --chunk are the library's (which would
 * refuse the copy later, exit 3): checked here, before anything is opened, so
 * they are usage errors with the option named.
 */
const char *qd_problem(uint64_t qd)
{
	return qd >= 1 && qd <= CLI_QD_MAX ? NULL : "a queue depth is 1 to 1024";
}

const char *chunk_problem(uint64_t chunk)
{
	return chunk && !(chunk % 4096) && chunk <= CLI_CHUNK_MAX ? NULL :
	       "a chunk is a multiple of 4096 bytes, at most 64M";
}

/* 1536 -> "1.5 KiB"; exact bytes below 1 KiB. */
const char *fmt_bytes(uint64_t v, char *buf, size_t len)
{
	static const char *const names[] = { "KiB", "MiB", "GiB", "TiB" };
	double d = (double)v;
	int i = -1;

	while (d >= 1024 && i < 3) {
		d /= 1024;
		i++;
	}
	if (i < 0)
		snprintf(buf, len, "%llu B", (unsigned long long)v);
	else
		snprintf(buf, len, "%.1f %s", d, names[i]);
	return buf;
}
