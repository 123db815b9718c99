// SPDX-License-Identifier: MIT
/*
 * The P2P verdict for a (provider, client) pair, following the kernel's
 * calc_map_type_and_dist() and host-bridge whitelist (drivers/pci/p2pdma.c)
 * so that user space predicts what the kernel will decide.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/*
 * Host bridges whose root complex forwards P2P traffic, by the vendor:device
 * of function 00.0 on their root bus: the kernel's pci_p2pdma_whitelist[].
 */
#define HB_ANY_DEVICE 0xffff /* the kernel's PCI_ANY_ID, as a device id */
static const struct hb_entry {
	uint16_t vendor;
	uint16_t device;
	int same_host_bridge_only;
} hb_whitelist[] = {
	{ 0x8086, 0x3c00, 1 }, /* Intel Xeon E5/Core i7 */
	{ 0x8086, 0x3c01, 1 },
	{ 0x8086, 0x2f00, 1 }, /* Intel Xeon E7 v3/Xeon E5 v3/Core i7 */
	{ 0x8086, 0x2f01, 1 },
	{ 0x8086, 0x2030, 0 }, /* Intel Skylake-E */
	{ 0x8086, 0x2031, 0 },
	{ 0x8086, 0x2032, 0 },
	{ 0x8086, 0x2033, 0 },
	{ 0x8086, 0x2020, 0 },
	{ 0x8086, 0x09a2, 0 },
	{ 0x8086, 0x0b25, 0 }, /* DSA, Sapphire Rapids (7.2's list from here on) */
	{ 0x8086, 0x0cfe, 0 }, /* IAX, Sapphire Rapids */
	{ 0x8086, 0x11fb, 0 }, /* DSA, Granite Rapids-D */
	{ 0x8086, 0x1212, 0 }, /* DSA, Diamond Rapids */
	{ 0x8086, 0x1216, 0 }, /* IAA, Diamond Rapids */
	{ 0x8086, 0x4940, 0 }, /* QAT 4xxx */
	{ 0x8086, 0x4942, 0 }, /* QAT 401xx */
	{ 0x8086, 0x4944, 0 }, /* QAT 402xx */
	{ 0x8086, 0x4946, 0 }, /* QAT 420xx */
	{ 0x8086, 0x4948, 0 }, /* QAT 6xxx */
	{ 0x1ae0, HB_ANY_DEVICE, 0 }, /* Google SoCs: every device */
};

/* CPUs the kernel trusts for P2P through the root complex. */
static const struct cpu_entry {
	const char *vendor;
	int min_family;
} cpu_whitelist[] = {
	{ "AuthenticAMD", 0x17 }, /* Zen and newer */
};

static const char *const path_names[] = {
	[IOPMEM_PATH_SELF] = "SELF",
	[IOPMEM_PATH_SWITCH] = "SWITCH",
	[IOPMEM_PATH_HOSTBRIDGE] = "HOSTBRIDGE",
	[IOPMEM_PATH_CROSS_HB] = "CROSS-HB",
	[IOPMEM_PATH_NONE] = "NONE",
};

const char *iopmem_path_name(enum iopmem_path path)
{
	return (unsigned int)path < sizeof(path_names) / sizeof(path_names[0]) ? path_names[path] : "?";
}

int iopmem_cpu_trusted(const struct iopmem_ctx *ctx)
{
	size_t i;

	for (i = 0; i < sizeof(cpu_whitelist) / sizeof(cpu_whitelist[0]); i++)
		if (!strcmp(ctx->cpu_vendor, cpu_whitelist[i].vendor) &&
		    ctx->cpu_family >= cpu_whitelist[i].min_family)
			return 1;
	return 0;
}

/*
 * The function whose ids the whitelist is about, as the kernel's
 * pci_host_bridge_dev() picks it: the first function on the host bridge's
 * root bus, if it is 00.0 or a root port (a bridge on a root bus; Intel
 * Skylake-SP has no 00.0 and lists its root ports), else NULL. The functions
 * are sorted by BDF, so the first with the root bus's prefix is the first.
 */
static const struct iopmem_func *hb_root(const struct iopmem_ctx *ctx, const char *hb)
{
	char prefix[16];
	size_t i, plen;

	if (strlen(hb) != 10) /* "pciDDDD:BB" */
		return NULL;
	plen = (size_t)snprintf(prefix, sizeof(prefix), "%s:", hb + 3);
	for (i = 0; i < ctx->nfuncs; i++) {
		const struct iopmem_func *f = &ctx->funcs[i];

		if (strncmp(f->bdf, prefix, plen))
			continue;
		return !strcmp(f->bdf + plen, "00.0") || (f->is_bridge && f->upstream < 0) ? f : NULL;
	}
	return NULL;
}

static const struct hb_entry *hb_listed(const struct iopmem_ctx *ctx, const char *hb)
{
	const struct iopmem_func *root = hb_root(ctx, hb);
	size_t i;

	for (i = 0; root && i < sizeof(hb_whitelist) / sizeof(hb_whitelist[0]); i++)
		if (hb_whitelist[i].vendor == root->vendor &&
		    (hb_whitelist[i].device == root->device || hb_whitelist[i].device == HB_ANY_DEVICE))
			return &hb_whitelist[i];
	return NULL;
}

static int hb_allows(const struct iopmem_ctx *ctx, const struct iopmem_func *p,
		     const struct iopmem_func *c)
{
	const struct hb_entry *a = hb_listed(ctx, p->host_bridge);
	const struct hb_entry *b = hb_listed(ctx, c->host_bridge);

	if (!strcmp(p->host_bridge, c->host_bridge))
		return a != NULL;
	return a && b && !a->same_host_bridge_only && !b->same_host_bridge_only;
}

static int up(const struct iopmem_ctx *ctx, int i)
{
	return ctx->funcs[i].upstream;
}

/* Hop number n of the route, kept when hops[] has room for it. */
static void set_hop(struct iopmem_verdict *v, int n, int idx)
{
	if (n >= 0 && n < IOPMEM_MAX_HOPS)
		v->hops[n] = idx;
}

/* A bridge on the route: the first ACS redirect is named, unreadable ones flagged. */
static void note_acs(const struct iopmem_func *f, int *acs_cnt, char *acs, size_t acslen,
		     int *acs_unknown)
{
	if (f->acs_redirect == 1 && (*acs_cnt)++ == 0)
		snprintf(acs, acslen, "%s", f->bdf);
	*acs_unknown |= f->is_bridge && f->acs_redirect < 0;
}

/*
 * Walk as the kernel does: the common upstream bridge, or -1 (none) or -2
 * (ACS redirect on the way). The route goes into v->hops as far as it fits;
 * *nhops counts all of it, so the caller can tell when it did not fit.
 */
static int common_bridge(const struct iopmem_ctx *ctx, int p, int c, struct iopmem_verdict *v,
			 int *nhops, char *acs, size_t acslen, int *acs_unknown)
{
	int a, bb, k, dist_a = 0, dist_b = 0, acs_cnt = 0;

	for (a = p; a >= 0; a = up(ctx, a), dist_a++) {
		note_acs(&ctx->funcs[a], &acs_cnt, acs, acslen, acs_unknown);
		set_hop(v, (*nhops)++, a);
		for (bb = c, dist_b = 0; bb >= 0; bb = up(ctx, bb), dist_b++)
			if (a == bb)
				break;
		if (bb >= 0)
			break;
	}
	v->distance = dist_a + dist_b;
	if (a < 0)
		return -1;
	/* The client's side, dist_b functions from just below the common bridge down. */
	for (bb = c, k = 0; bb != a; bb = up(ctx, bb), k++) {
		note_acs(&ctx->funcs[bb], &acs_cnt, acs, acslen, acs_unknown);
		set_hop(v, *nhops + dist_b - 1 - k, bb);
	}
	*nhops += dist_b;
	return acs_cnt ? -2 : a;
}

static void why_trusted(const struct iopmem_ctx *ctx, const struct iopmem_func *p, char *buf,
			size_t len)
{
	const struct iopmem_func *root = hb_root(ctx, p->host_bridge);

	if (iopmem_cpu_trusted(ctx))
		snprintf(buf, len, "the CPU (%s family %#x) is trusted by the kernel's P2P rules",
			 ctx->cpu_vendor, ctx->cpu_family);
	else
		snprintf(buf, len, "host bridge %04x:%04x is on the kernel's P2P whitelist",
			 root ? root->vendor : 0, root ? root->device : 0);
}

/* The path, distance and reason, from where the walk ended (common_bridge()). */
static void set_path(const struct iopmem_ctx *ctx, struct iopmem_verdict *v, int common,
		     const char *acs, const struct iopmem_func *p, const struct iopmem_func *c)
{
	char why[160], route[200];

	if (common >= 0) {
		v->path = IOPMEM_PATH_SWITCH;
		v->use_bus_addr = 1;
		v->via_iommu = 0;
		snprintf(v->reason, sizeof(v->reason),
			 "%s and %s share upstream bridge %s with no ACS redirect on the path: "
			 "traffic turns around there, addressed to the BAR's PCI bus address",
			 p->bdf, c->bdf, ctx->funcs[common].bdf);
		return;
	}
	if (common == -2)
		snprintf(route, sizeof(route), "ACS redirect at %s sends traffic up to the root complex",
			 acs);
	else
		snprintf(route, sizeof(route), "no common upstream bridge");
	if (!iopmem_cpu_trusted(ctx) && !hb_allows(ctx, p, c)) {
		const struct iopmem_func *root = hb_root(ctx, c->host_bridge);

		v->path = IOPMEM_PATH_NONE;
		v->distance = -1;
		snprintf(v->reason, sizeof(v->reason),
			 "%s, and neither the CPU (%s family %d) nor host bridge %04x:%04x is on the "
			 "kernel's P2P whitelist: not supported",
			 route, ctx->cpu_vendor[0] ? ctx->cpu_vendor : "unknown", ctx->cpu_family,
			 root ? root->vendor : 0, root ? root->device : 0);
		return;
	}
	why_trusted(ctx, p, why, sizeof(why));
	if (!strcmp(p->host_bridge, c->host_bridge)) {
		v->path = IOPMEM_PATH_HOSTBRIDGE;
		snprintf(v->reason, sizeof(v->reason),
			 "%s: through the root complex of host bridge %s, allowed because %s%s",
			 route, p->host_bridge, why, v->via_iommu ? "; the client's DMA is translated by the IOMMU" : "");
	} else {
		v->path = IOPMEM_PATH_CROSS_HB;
		snprintf(v->reason, sizeof(v->reason),
			 "%s: across host bridges %s and %s, allowed because %s%s",
			 route, p->host_bridge, c->host_bridge, why,
			 v->via_iommu ? "; the client's DMA is translated by the IOMMU" : "");
	}
}

/**
 * iopmem_p2p_verdict() - whether and how @client can DMA into @provider's BAR.
 * @ctx: the context.
 * @provider: index of the function with the memory.
 * @client: index of the function that DMAs.
 * @v: filled in (zeroed first, also on failure). hops[] lists the route,
 *     provider first; nhops is 0 when the route has more than
 *     IOPMEM_MAX_HOPS functions (the reason then says so).
 *
 * Return: 0, or -EINVAL for an index that is not a function of @ctx.
 */
int iopmem_p2p_verdict(struct iopmem_ctx *ctx, int provider, int client, struct iopmem_verdict *v)
{
	const struct iopmem_func *p, *c;
	char acs[16] = "";
	int common, acs_unknown = 0, nhops = 0;

	memset(v, 0, sizeof(*v));
	if (provider < 0 || client < 0 || (size_t)provider >= ctx->nfuncs ||
	    (size_t)client >= ctx->nfuncs)
		return ctx_fail(ctx, -EINVAL, "no such PCI function index");
	p = &ctx->funcs[provider];
	c = &ctx->funcs[client];
	v->via_iommu = c->iommu_translates;
	if (provider == client) {
		v->path = IOPMEM_PATH_SELF;
		v->hops[v->nhops++] = provider;
		snprintf(v->reason, sizeof(v->reason), "%s is the provider itself", c->bdf);
		return 0;
	}

	common = common_bridge(ctx, provider, client, v, &nhops, acs, sizeof(acs), &acs_unknown);
	v->acs_unknown = acs_unknown;
	set_path(ctx, v, common, acs, p, c);
	/* A route longer than hops[] is not listed at all, rather than cut short. */
	v->nhops = nhops <= IOPMEM_MAX_HOPS ? nhops : 0;
	if (nhops > IOPMEM_MAX_HOPS) {
		size_t used = strlen(v->reason);

		snprintf(v->reason + used, sizeof(v->reason) - used,
			 " (the route has %d hops, more than the %d hops[] holds: not listed)",
			 nhops, IOPMEM_MAX_HOPS);
	}
	return 0;
}
