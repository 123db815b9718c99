// SPDX-License-Identifier: MIT
/*
 * lib-unit VERSION SWITCH DEEP34 DEEP40 LOOP: libiopmem's API on sysfs trees
 * (no device needed): version queries, BDF parsing, error texts, zeroed
 * outputs, routes deeper than hops[] and sysfs links longer than 512 bytes.
 * SWITCH is the lab-switch fixture; tests/unit/run-lib builds the others
 * (a chain of 34 and of 40 bridges on buses a0 and up, and a loop). TAP-style
 * output, run under valgrind.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "libiopmem.h"
#include "uapi/iopmem.h"

/* The reserved words are the last member of each caller-allocated struct. */
#define RESERVED_LAST(type)                                                                  \
	_Static_assert(offsetof(struct type, reserved) + sizeof(((struct type *)0)->reserved) == \
			       sizeof(struct type),                                          \
		       #type ": reserved is not last")
RESERVED_LAST(iopmem_end);
RESERVED_LAST(iopmem_copy_opts);
RESERVED_LAST(iopmem_copy_result);
RESERVED_LAST(iopmem_verdict);
RESERVED_LAST(iopmem_platform);

static int failed;

static void check(int ok, const char *what, const struct iopmem_ctx *ctx)
{
	printf("%s - %s\n", ok ? "ok" : "not ok", what);
	if (!ok) {
		printf("# %s\n", iopmem_ctx_error(ctx));
		failed = 1;
	}
}

static int all_zero(const uint64_t *w, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (w[i])
			return 0;
	return 1;
}

static void versions(const char *want)
{
	check(!strcmp(iopmem_version(), want), "iopmem_version() is the Makefile's VERSION", NULL);
	check(iopmem_abi_version() == IOPMEM_ABI_VERSION, "iopmem_abi_version() is IOPMEM_ABI_VERSION",
	      NULL);
}

/* Every spelling of one function finds it; near misses are refused with EINVAL. */
static void bdf_names(struct iopmem_ctx *ctx)
{
	static const char *const same[] = { "c2:00.0", "C2:00.0", "0000:c2:00.0", "0000:C2:00.0" };
	static const char *const bad[] = { "c2:00.8", "c2:20.0", "0000:c2:00", "g2:00.0",
					   "c2:00.0x", "0:c2:00.0", "c2:0.0", "" };
	int want = iopmem_func_find(ctx, "0000:c2:00.0");
	size_t i;
	char what[96];

	check(want >= 0, "a function on bus c2 is found by its full BDF", ctx);
	for (i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		snprintf(what, sizeof(what), "\"%s\" is that function (a bus of a0-ff is a BDF)", same[i]);
		check(iopmem_func_find(ctx, same[i]) == want, what, ctx);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(what, sizeof(what), "\"%s\" is refused as not a BDF (EINVAL)", bad[i]);
		check(iopmem_func_find(ctx, bad[i]) == -EINVAL &&
			      strstr(iopmem_ctx_error(ctx), "expected DDDD:BB:DD.F or BB:DD.F"), what, ctx);
	}
	check(iopmem_func_find(ctx, "ff:1f.7") == -ENODEV &&
		      !strcmp(iopmem_ctx_error(ctx), "ff:1f.7: no such PCI function"),
	      "a well-formed BDF that is absent: ENODEV, named", ctx);
}

/* A message wrapping the previous one reads whole (it was formatted over itself). */
static void nested_errors(struct iopmem_ctx *ctx)
{
	struct iopmem_buf *buf = (struct iopmem_buf *)&buf;

	check(iopmem_buf_open(ctx, "nosuch", 0, 0, &buf) == -ENODEV && !buf &&
		      !strcmp(iopmem_ctx_error(ctx), "nosuch: not an iopmem node, nor a PCI function "
						     "(nosuch: no such device node in sysfs)"),
	      "iopmem_buf_open(\"nosuch\"): the inner message is intact", ctx);
	check(iopmem_buf_open(ctx, "0000:7f:00.0", 0, 0, &buf) == -ENODEV &&
		      !strcmp(iopmem_ctx_error(ctx), "0000:7f:00.0: not an iopmem node, nor a PCI "
						     "function (0000:7f:00.0: no such PCI function)"),
	      "iopmem_buf_open(\"0000:7f:00.0\"): the inner message is intact", ctx);
}

/* Output structures come back zeroed, reserved words included, even on failure. */
static void zeroed_outputs(struct iopmem_ctx *ctx)
{
	struct iopmem_verdict v;
	struct iopmem_platform p;
	int a = iopmem_func_find(ctx, "/dev/iopmem0"), b = iopmem_func_find(ctx, "/dev/nvme0n1");

	memset(&v, 0xff, sizeof(v));
	check(iopmem_p2p_verdict(ctx, a, b, &v) == 0 && v.path == IOPMEM_PATH_SWITCH &&
		      all_zero(v.reserved, 4) && v.nhops == 5,
	      "a verdict: SWITCH, 5 hops, reserved zeroed", ctx);
	memset(&v, 0xff, sizeof(v));
	check(iopmem_p2p_verdict(ctx, a, 100000, &v) == -EINVAL && all_zero(v.reserved, 4) &&
		      v.nhops == 0, "a verdict for a bad index: EINVAL, zeroed", ctx);
	memset(&p, 0xff, sizeof(p));
	check(iopmem_platform_get(ctx, &p) == 0 && all_zero(p.reserved, 4),
	      "iopmem_platform_get() zeroes reserved", ctx);
}

/*
 * In a chain of depth bridges under 0000:00:01.0, from the endpoint at the
 * bottom to its sibling a0:01.0 at the top: depth + 3 functions on the route.
 */
static void deep_route(const char *root, int depth)
{
	char bottom[16], parent[16], what[128];
	struct iopmem_ctx *ctx;
	struct iopmem_verdict v;
	int p, c, top, up, ret = iopmem_ctx_new(&ctx, root);

	memset(&v, 0, sizeof(v));
	snprintf(what, sizeof(what), "a tree of %d bridges is read", depth);
	check(ret == 0, what, ctx);
	if (ret) {
		iopmem_ctx_free(ctx);
		return;
	}
	snprintf(bottom, sizeof(bottom), "%02x:00.0", 0xa0 + depth);
	p = iopmem_func_find(ctx, bottom);
	c = iopmem_func_find(ctx, "a0:01.0");
	top = iopmem_func_find(ctx, "00:01.0");
	/* Its sysfs link is longer than 512 bytes at depth 40: read whole, not cut. */
	snprintf(parent, sizeof(parent), "0000:%02x:00.0", 0xa0 + depth - 1);
	snprintf(what, sizeof(what), "depth %d: the bottom endpoint's upstream is %s", depth, parent);
	up = p >= 0 ? iopmem_func_get(ctx, (size_t)p)->upstream : -1;
	check(up >= 0 && !strcmp(iopmem_func_get(ctx, (size_t)up)->bdf, parent), what, ctx);
	snprintf(what, sizeof(what), "depth %d: bottom to top is SWITCH through 0000:00:01.0, "
		 "distance %d", depth, depth + 2);
	check(p >= 0 && c >= 0 && iopmem_p2p_verdict(ctx, p, c, &v) == 0 &&
		      v.path == IOPMEM_PATH_SWITCH && v.distance == depth + 2 &&
		      strstr(v.reason, "share upstream bridge 0000:00:01.0"), what, ctx);
	snprintf(what, sizeof(what), "depth %d: the %d-hop route is not listed, and the reason says so",
		 depth, depth + 3);
	check(v.nhops == 0 && strstr(v.reason, "more than the 32 hops[] holds: not listed"), what, ctx);
	check(iopmem_p2p_verdict(ctx, c, top, &v) == 0 && v.nhops == 2 && v.hops[0] == c &&
		      v.hops[1] == top, "a short route in the same tree is listed", ctx);
	iopmem_ctx_free(ctx);
}

int main(int argc, char **argv)
{
	struct iopmem_ctx *ctx;
	int ret;

	if (argc != 6) {
		fprintf(stderr, "usage: lib-unit VERSION SWITCH DEEP34 DEEP40 LOOP\n");
		return 2;
	}
	versions(argv[1]);
	ret = iopmem_ctx_new(&ctx, argv[2]);
	check(ret == 0, "the switch fixture is read", ctx);
	if (!ret) {
		nested_errors(ctx);
		zeroed_outputs(ctx);
	}
	iopmem_ctx_free(ctx);
	ret = iopmem_ctx_new(&ctx, argv[3]);
	if (!ret)
		bdf_names(ctx);
	iopmem_ctx_free(ctx);
	deep_route(argv[3], 34);
	deep_route(argv[4], 40);
	ret = iopmem_ctx_new(&ctx, argv[5]);
	check(ret == -ELOOP && strstr(iopmem_ctx_error(ctx), "form a loop"),
	      "a tree whose bridges are each other's parent is refused (ELOOP)", ctx);
	iopmem_ctx_free(ctx);
	return failed;
}
