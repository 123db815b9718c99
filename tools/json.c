// SPDX-License-Identifier: MIT
/*
 * --json output, through jansson: every command builds one document and
 * prints it whole at the end, so a failure half-way still yields valid JSON
 * (with an "error" member), and every string is valid UTF-8.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Bytes of the valid UTF-8 sequence at p (RFC 3629: no overlongs, surrogates, > U+10FFFF), 0 if none. */
static size_t utf8_seq(const unsigned char *p)
{
	unsigned int c = p[0], cp, n, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 1;
	else if (c >= 0xe0 && c <= 0xef)
		n = 2;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 3;
	else
		return 0;
	cp = c & (0x3fU >> n);
	for (i = 1; i <= n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3fU);
	}
	if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n + 1;
}

/**
 * jstr() - a JSON string from any C string.
 * @s: the text; bytes that are not UTF-8 (file names, device strings) become U+FFFD.
 *
 * Return: a new reference (never NULL unless out of memory).
 */
json_t *jstr(const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t len = strlen((const char *)p), i = 0, o = 0;
	char *clean;
	json_t *v;

	v = json_string((const char *)p);
	if (v)
		return v;
	clean = malloc(len * 3 + 1);
	if (!clean)
		return NULL;
	while (i < len) {
		size_t n = utf8_seq(p + i);

		if (n) {
			memcpy(clean + o, p + i, n);
			o += n;
			i += n;
		} else {
			memcpy(clean + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	clean[o] = '\0';
	v = json_string(clean);
	free(clean);
	return v;
}

/* obj[key] = val (a new reference, taken over). */
void jset(json_t *obj, const char *key, json_t *val)
{
	json_object_set_new(obj, key, val);
}

/**
 * json_print() - print a document on stdout, one line, and free it.
 * @o: the options; records that --json output was given.
 * @doc: the document (reference taken over).
 */
void json_print(struct opts *o, json_t *doc)
{
	if (doc) {
		json_dumpf(doc, stdout, JSON_COMPACT | JSON_ENSURE_ASCII);
		putchar('\n');
		json_decref(doc);
	}
	o->printed = 1;
}

/**
 * cli_fail() - say why the command failed.
 * @o: the options: the text is kept there for --json's {"error": ...}.
 * @code: the exit status to return.
 * @fmt: the message, printf-style, without a newline.
 *
 * Return: @code.
 */
int cli_fail(struct opts *o, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(o->error, sizeof(o->error), fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized)
	va_end(ap);
	fprintf(stderr, "%s\n", o->error);
	return code;
}

/* --json and nothing printed yet: the failure as a document of its own. */
void json_error(struct opts *o, int code)
{
	json_t *doc;

	if (!o->json || o->printed)
		return;
	doc = json_object();
	jset(doc, "error", jstr(o->error[0] ? o->error : "usage error (iopmem --help)"));
	jset(doc, "exit", json_integer(code));
	json_print(o, doc);
}
