// SPDX-License-Identifier: MIT
/*
 * iopmem: the command-line tool.
 *
 *   iopmem topo [--json]            P2P matrix of the P2P-capable functions
 *   iopmem check A B [--json]       can B DMA into A's BAR? hop by hop, and why
 *   iopmem info [DEV] [--json]      what iopmem.ko owns
 *   iopmem doctor [--json]          can P2P work here? each check PASS/WARN/FAIL, with a fix
 *   iopmem copy SRC DST [...]       storage <-> device memory, P2P when possible (copy.c)
 *   iopmem bench STORAGE BUF [...]  P2P against host RAM and bounce, same run (bench.c)
 *   --root DIR                      read DIR/sys and DIR/proc instead of /sys, /proc
 *
 * Exit status: 0 ok (check: a P2P path exists; doctor: no FAIL), 1 check: no
 * P2P path, doctor: a FAIL, 2 usage or lookup error.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../include/uapi/iopmem.h"
#include "cli.h"

void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

/* Endpoints worth showing in the matrix: DMA engines and BAR owners. */
int p2p_relevant(const struct iopmem_func *f)
{
	unsigned int base = f->class_code >> 16;

	if (f->is_bridge || base == 0x06)
		return 0;
	return f->has_mem_bar || !strcmp(f->driver, "iopmem") || base == 0x01 || base == 0x02 ||
	       base == 0x03 || base == 0x04 || base == 0x05 || base == 0x12;
}

static const char *func_label(const struct iopmem_func *f, char *buf, size_t len)
{
	snprintf(buf, len, "%s %04x:%04x %s", f->bdf, f->vendor, f->device,
		 f->driver[0] ? f->driver : "(no driver)");
	return buf;
}

/* One example pair per verdict, gathered while the matrix is printed. */
struct topo_notes {
	struct iopmem_verdict example[IOPMEM_PATH_NONE + 1];
	int provider[IOPMEM_PATH_NONE + 1];
	int client[IOPMEM_PATH_NONE + 1];
	int seen[IOPMEM_PATH_NONE + 1];
	int order[IOPMEM_PATH_NONE + 1]; /* paths in the order first met */
	int norder;
	int acs_unknown;
};

static void topo_note(struct topo_notes *t, const struct iopmem_verdict *v, int i, int j)
{
	t->acs_unknown |= v->acs_unknown;
	if (v->path == IOPMEM_PATH_SELF || t->seen[v->path]++)
		return;
	t->order[t->norder++] = v->path;
	t->example[v->path] = *v;
	t->provider[v->path] = i;
	t->client[v->path] = j;
}

/* One example reason per verdict in the matrix; `check` gives any pair's. */
static void topo_footnotes(const struct topo_notes *t)
{
	int k;

	printf("\nWhy (one example per verdict; `iopmem check A B` for any pair):\n");
	for (k = 0; k < t->norder; k++) {
		int p = t->order[k];

		printf("  %-10s D%d <- D%d: %s\n", iopmem_path_name((enum iopmem_path)p),
		       t->provider[p], t->client[p], t->example[p].reason);
	}
	if (t->acs_unknown)
		fprintf(stderr, "iopmem: warning: cannot read the PCI config space of some bridges "
				"(ACS redirect state unknown), SWITCH verdicts may be wrong: run as root\n");
}

static int cmd_topo(struct iopmem_ctx *ctx, const struct opts *o)
{
	struct topo_notes notes = { 0 };
	int idx[64], n = 0, i, j;
	size_t k;

	for (k = 0; k < iopmem_func_count(ctx) && n < 64; k++)
		if (p2p_relevant(iopmem_func_get(ctx, k)))
			idx[n++] = (int)k;
	if (o->json) {
		printf("{\"devices\":[");
		for (i = 0; i < n; i++) {
			printf(i ? "," : "");
			json_str(iopmem_func_get(ctx, (size_t)idx[i])->bdf);
		}
		printf("],\"matrix\":[");
	} else {
		printf("P2P from column (client) into row's BAR (provider):\n%-6s", "");
		for (j = 0; j < n; j++) {
			char col[16];

			snprintf(col, sizeof(col), "D%d", j);
			printf(" %12s", col);
		}
		printf("\n");
	}
	for (i = 0; i < n; i++) {
		if (o->json)
			printf(i ? ",[" : "[");
		else
			printf("D%-5d", i);
		for (j = 0; j < n; j++) {
			struct iopmem_verdict v;

			iopmem_p2p_verdict(ctx, idx[i], idx[j], &v);
			topo_note(&notes, &v, i, j);
			if (o->json) {
				printf(j ? "," : "");
				json_str(iopmem_path_name(v.path));
			} else {
				printf(" %12s", iopmem_path_name(v.path));
			}
		}
		printf(o->json ? "]" : "\n");
	}
	if (o->json) {
		printf("]}\n");
		return 0;
	}
	printf("\n");
	for (i = 0; i < n; i++) {
		char label[96];

		printf("D%-3d %s\n", i, func_label(iopmem_func_get(ctx, (size_t)idx[i]), label, sizeof(label)));
	}
	printf("\nSWITCH      turns around in a common PCIe switch (bus addresses, no IOMMU)\n"
	       "HOSTBRIDGE  through the root complex of one host bridge (trusted platform)\n"
	       "CROSS-HB    through the root complex, across host bridges (trusted platform)\n"
	       "NONE        not supported by the kernel's P2P rules\n");
	topo_footnotes(&notes);
	return 0;
}

static int cmd_check(struct iopmem_ctx *ctx, const struct opts *o)
{
	struct iopmem_verdict v;
	uint64_t cpu = 0, bus = 0;
	int p, c, i, has_addrs;

	p = iopmem_func_find(ctx, o->args[0]);
	c = p < 0 ? p : iopmem_func_find(ctx, o->args[1]);
	if (p < 0 || c < 0) {
		fprintf(stderr, "iopmem: %s\n", iopmem_ctx_error(ctx));
		return 2;
	}
	iopmem_p2p_verdict(ctx, p, c, &v);
	if (v.acs_unknown) {
		fprintf(stderr, "iopmem: cannot read the PCI config space of the bridges on the path "
				"(ACS redirect state unknown): run as root\n");
		return 2;
	}
	has_addrs = !iopmem_func_bar_addrs(ctx, p, &cpu, &bus);
	if (o->json) {
		printf("{\"provider\":");
		json_str(iopmem_func_get(ctx, (size_t)p)->bdf);
		printf(",\"client\":");
		json_str(iopmem_func_get(ctx, (size_t)c)->bdf);
		printf(",\"path\":");
		json_str(iopmem_path_name(v.path));
		printf(",\"distance\":%d,\"use_bus_addr\":%s,\"via_iommu\":%s,\"hops\":[", v.distance,
		       v.use_bus_addr ? "true" : "false", v.via_iommu ? "true" : "false");
		for (i = 0; i < v.nhops; i++) {
			printf(i ? "," : "");
			json_str(iopmem_func_get(ctx, (size_t)v.hops[i])->bdf);
		}
		printf("],\"reason\":");
		json_str(v.reason);
		if (has_addrs)
			printf(",\"cpu_addr\":\"%#llx\",\"bus_addr\":\"%#llx\"",
			       (unsigned long long)cpu, (unsigned long long)bus);
		printf("}\n");
	} else {
		char label[96];

		printf("provider  %s\n", func_label(iopmem_func_get(ctx, (size_t)p), label, sizeof(label)));
		printf("client    %s\n", func_label(iopmem_func_get(ctx, (size_t)c), label, sizeof(label)));
		if (v.path != IOPMEM_PATH_NONE && v.path != IOPMEM_PATH_SELF && v.nhops > 1) {
			printf("path     ");
			for (i = 0; i < v.nhops; i++)
				printf(" %s%s", iopmem_func_get(ctx, (size_t)v.hops[i])->bdf,
				       i + 1 < v.nhops ? " ->" : "\n");
		}
		printf("verdict   %s\nreason    %s\n", iopmem_path_name(v.path), v.reason);
		if (has_addrs && v.path == IOPMEM_PATH_SWITCH)
			printf("address   target bus address %#llx (CPU address %#llx, host bridge offset %#llx)\n",
			       (unsigned long long)bus, (unsigned long long)cpu,
			       (unsigned long long)(cpu - bus));
		else if (has_addrs && v.path != IOPMEM_PATH_NONE)
			printf("address   the client's DMA API maps CPU address %#llx\n",
			       (unsigned long long)cpu);
	}
	return v.path == IOPMEM_PATH_NONE ? 1 : 0;
}

int read_attr(const char *root, const char *node, const char *attr, char *buf, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/sys/class/iopmem/%s/%s", root, node, attr);
	f = fopen(path, "re");
	if (!f || !fgets(buf, (int)len, f)) {
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int cmd_info(const struct opts *o)
{
	static const char *const attrs[] = { "pci_dev", "bar", "size", "bar_size", "cpu_addr",
					     "bus_addr", "backend", "memtype", "flags", "pages_pinned",
					     "faults_user", "faults_kernel" };
	const char *want = o->nargs ? strrchr(o->args[0], '/') : NULL;
	const char *root = o->root ? o->root : "";
	char path[512], val[128];
	struct dirent *de;
	size_t a;
	int shown = 0;
	DIR *dir;

	want = want ? want + 1 : (o->nargs ? o->args[0] : NULL);
	snprintf(path, sizeof(path), "%s/sys/class/iopmem", root);
	dir = opendir(path);
	if (!dir) {
		fprintf(stderr, "iopmem: iopmem.ko is not loaded (no %s)\n", path);
		return 2;
	}
	printf(o->json ? "[" : "");
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.' || (want && strcmp(want, de->d_name)))
			continue;
		printf(o->json ? (shown ? ",{\"node\":" : "{\"node\":") : "%s%s\n", shown ? "\n" : "",
		       o->json ? "" : de->d_name);
		if (o->json)
			json_str(de->d_name);
		for (a = 0; a < sizeof(attrs) / sizeof(attrs[0]); a++) {
			if (read_attr(root, de->d_name, attrs[a], val, sizeof(val)))
				continue;
			if (o->json) {
				printf(",");
				json_str(attrs[a]);
				printf(":");
				json_str(val);
			} else {
				printf("  %-13s %s\n", attrs[a], val);
			}
		}
		printf(o->json ? "}" : "");
		shown++;
	}
	closedir(dir);
	printf(o->json ? "]\n" : "");
	if (want && !shown) {
		fprintf(stderr, "iopmem: %s is not an iopmem device\n", o->args[0]);
		return 2;
	}
	return 0;
}

/* The tool, the library and the loaded module: mismatches show at a glance. */
static int print_version(const char *root)
{
	struct iopmem_ctx *ctx = NULL;
	struct iopmem_platform p;

	printf("iopmem %s (libiopmem %s, ABI %d)\n", IOPMEM_LIB_VERSION, IOPMEM_LIB_VERSION,
	       IOPMEM_ABI_VERSION);
	iopmem_ctx_new(&ctx, root);
	if (!ctx)
		return 2;
	iopmem_platform_get(ctx, &p);
	iopmem_ctx_free(ctx);
	if (!p.module_loaded)
		printf("iopmem.ko: not loaded\n");
	else if (p.module_abi < 0)
		printf("iopmem.ko %s (no BAR bound, ABI unknown)\n", p.module_version);
	else
		printf("iopmem.ko %s, ABI %d%s\n", p.module_version, p.module_abi,
		       p.module_abi == IOPMEM_ABI_VERSION ? "" : ": MISMATCH, reinstall both");
	return 0;
}

/* Each subcommand's synopsis, for `iopmem CMD --help` and for errors. */
static const struct {
	const char *name;
	const char *help;
} cmd_help[] = {
	{ "topo", "iopmem [--json] [--root DIR] topo\n"
		  "  The P2P matrix of the functions that can take part, and why.\n" },
	{ "check", "iopmem [--json] [--root DIR] check PROVIDER CLIENT\n"
		   "  Can CLIENT DMA into PROVIDER's BAR? Hop by hop. Exit 0 yes, 1 no, 2 error.\n" },
	{ "info", "iopmem [--json] [--root DIR] info [DEV]\n"
		  "  What iopmem.ko owns: each /dev/iopmemN with its sysfs facts and counters.\n" },
	{ "doctor", "iopmem [--json] [--root DIR] doctor\n"
		    "  Can P2P work here? Each check PASS/WARN/FAIL with a fix. Exit 1 on a FAIL.\n" },
	{ "copy", "iopmem copy SRC DST [--size N] [--offset N] [--qd N] [--chunk N] [--verify]\n"
		  "                      [--no-fallback] [--json]   (iopmem copy --help)\n" },
	{ "bench", "iopmem bench STORAGE BUF [--size N] [--chunk LIST] [--qd LIST] [--write] [--json]\n"
		   "                         (iopmem bench --help)\n" },
};

static int usage(FILE *f, int ret)
{
	size_t i;

	fprintf(f, "usage:\n");
	for (i = 0; i < sizeof(cmd_help) / sizeof(cmd_help[0]); i++)
		fprintf(f, "  %s", cmd_help[i].help);
	fprintf(f, "  iopmem --version\n"
		   "Devices: 0000:01:00.0, 01:00.0, /dev/nvme0n1, /dev/iopmem0. Sizes: 4096, 64K, 1M, 2G.\n"
		   "`iopmem CMD --help` for one command; man iopmem for everything.\n");
	return ret;
}

static int cmd_usage(const char *cmd, FILE *f, int ret)
{
	size_t i;

	for (i = 0; i < sizeof(cmd_help) / sizeof(cmd_help[0]); i++)
		if (!strcmp(cmd, cmd_help[i].name)) {
			fprintf(f, "usage: %s", cmd_help[i].help);
			return ret;
		}
	fprintf(f, "iopmem: unknown command '%s'\n", cmd);
	return usage(f, 2);
}

static int run_cmd(struct iopmem_ctx *ctx, const char *cmd, int argc, char **argv, struct opts *o)
{
	if (!strcmp(cmd, "copy"))
		return cmd_copy(ctx, argc, argv, o);
	if (!strcmp(cmd, "bench"))
		return cmd_bench(ctx, argc, argv, o);
	if (!strcmp(cmd, "topo"))
		return cmd_topo(ctx, o);
	if (!strcmp(cmd, "doctor"))
		return cmd_doctor(ctx, o);
	return cmd_check(ctx, o);
}

/* Global options, the command, then its arguments (copy and bench parse their own). */
static int parse_args(int argc, char **argv, struct opts *o, const char **cmd, int *cmd_at)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (*cmd && (!strcmp(*cmd, "copy") || !strcmp(*cmd, "bench")))
			return 0;
		if (!strcmp(argv[i], "--json"))
			o->json = 1;
		else if (!strcmp(argv[i], "--root") && i + 1 < argc)
			o->root = argv[++i];
		else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return (*cmd ? cmd_usage(*cmd, stdout, 0) : usage(stdout, 0)) - 1;
		else if (!strcmp(argv[i], "--version"))
			return print_version(o->root) ? 2 : -1;
		else if ((argv[i][0] == '-' && argv[i][1]) || (*cmd && o->nargs == 2))
			return *cmd ? cmd_usage(*cmd, stderr, 2) : usage(stderr, 2);
		else if (!*cmd)
			*cmd = argv[*cmd_at = i];
		else
			o->args[o->nargs++] = argv[i];
	}
	if (!*cmd)
		return usage(stderr, 2);
	if (!strcmp(*cmd, "copy") || !strcmp(*cmd, "bench") || (!strcmp(*cmd, "info") && o->nargs <= 1) ||
	    (!strcmp(*cmd, "topo") && o->nargs == 0) || (!strcmp(*cmd, "check") && o->nargs == 2) ||
	    (!strcmp(*cmd, "doctor") && o->nargs == 0))
		return 0;
	return cmd_usage(*cmd, stderr, 2);
}

int main(int argc, char **argv)
{
	struct iopmem_ctx *ctx = NULL;
	struct opts o = { 0 };
	const char *cmd = NULL;
	int at = 0, ret;

	ret = parse_args(argc, argv, &o, &cmd, &at);
	if (ret || !cmd)
		return ret < 0 ? 0 : 2;
	if (!strcmp(cmd, "info"))
		return cmd_info(&o);
	ret = iopmem_ctx_new(&ctx, o.root);
	if (ret) {
		fprintf(stderr, "iopmem: %s\n", iopmem_ctx_error(ctx));
		iopmem_ctx_free(ctx);
		return 2;
	}
	ret = run_cmd(ctx, cmd, argc - at, argv + at, &o);
	iopmem_ctx_free(ctx);
	return ret;
}
