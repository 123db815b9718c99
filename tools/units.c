// SPDX-License-Identifier: MIT
/* Sizes as people write them (64M, 4KiB, 1G) and as they like to read them. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/**
 * parse_size() - "4096", "4k", "4K", "4KiB", "1M", "2G", "1T" (powers of 1024).
 * @s: the text.
 * @out: the value.
 *
 * Return: 0, or -EINVAL for anything else (including overflow).
 */
int parse_size(const char *s, uint64_t *out)
{
	static const char units[] = "KMGT";
	unsigned long long v;
	char *end;
	int shift = 0;

	if (!s || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno)
		return -EINVAL;
	if (*end) {
		const char *u = strchr(units, toupper((unsigned char)*end));

		if (!u)
			return -EINVAL;
		shift = 10 * (int)(u - units + 1);
		end++;
		if (!strcmp(end, "iB") || !strcmp(end, "B"))
			end += strlen(end);
		if (*end)
			return -EINVAL;
	}
	if (shift && v > (~0ULL >> shift))
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
