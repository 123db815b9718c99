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
#include <sys/stat.h>

#include <pci/pci.h>

#include "../include/uapi/iopmem.h"
#include "cli.h"

/* Endpoints worth showing in the matrix: DMA engines and BAR owners. */
int p2p_relevant(const struct iopmem_func *f)
{
	unsigned int base = f->class_code >> 16;

	if (f->is_bridge || base == 0x06)
		return 0;
	return f->has_mem_bar || !strcmp(f->driver, "iopmem") || base == 0x01 || base == 0x02 ||
	       base == 0x03 || base == 0x04 || base == 0x05 || base == 0x12;
}

/* libpci's lookups never fail hard: no pci.ids means numbers only. */
static void pci_quiet(char *msg, ...)
{
	(void)msg;
}

/**
 * func_name() - a function's vendor and device name, from pci.ids (libpci).
 * @o: the options, which hold the libpci handle (made on first use).
 * @f: the function.
 * @buf: where the name goes ("" when neither is known).
 * @len: its size.
 *
 * Return: @buf.
 */
const char *func_name(struct opts *o, const struct iopmem_func *f, char *buf, size_t len)
{
	buf[0] = '\0';
	if (!o->pci) {
		o->pci = pci_alloc();
		if (!o->pci)
			return buf;
		o->pci->warning = pci_quiet;
		o->pci->debug = pci_quiet;
	}
	if (!pci_lookup_name(o->pci, buf, (int)len, PCI_LOOKUP_VENDOR | PCI_LOOKUP_DEVICE |
			     PCI_LOOKUP_NO_NUMBERS, f->vendor, f->device))
		buf[0] = '\0';
	return buf;
}

static const char *func_label(struct opts *o, const struct iopmem_func *f, char *buf, size_t len)
{
	char name[128];

	snprintf(buf, len, "%s %04x:%04x %s%s%s", f->bdf, f->vendor, f->device,
		 f->driver[0] ? f->driver : "(no driver)", func_name(o, f, name, sizeof(name))[0] ? "  " : "",
		 name);
	return buf;
}

/* A function in --json: its address, ids, name and driver. */
static json_t *func_json(struct opts *o, const struct iopmem_func *f)
{
	json_t *j = json_object();
	char id[8], name[128];

	jset(j, "bdf", jstr(f->bdf));
	snprintf(id, sizeof(id), "%04x", f->vendor);
	jset(j, "vendor", jstr(id));
	snprintf(id, sizeof(id), "%04x", f->device);
	jset(j, "device", jstr(id));
	jset(j, "name", jstr(func_name(o, f, name, sizeof(name))));
	jset(j, "driver", jstr(f->driver));
	return j;
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

/* The matrix in --json: devices, then matrix[provider][client] as path names. */
static json_t *topo_json(struct iopmem_ctx *ctx, struct opts *o, const size_t *idx, size_t n)
{
	json_t *doc = json_object(), *devs = json_array(), *funcs = json_array(), *rows = json_array();
	size_t i, j;

	for (i = 0; i < n; i++) {
		const struct iopmem_func *f = iopmem_func_get(ctx, idx[i]);
		json_t *row = json_array();

		json_array_append_new(devs, jstr(f->bdf));
		json_array_append_new(funcs, func_json(o, f));
		for (j = 0; j < n; j++) {
			struct iopmem_verdict v;

			iopmem_p2p_verdict(ctx, (int)idx[i], (int)idx[j], &v);
			json_array_append_new(row, jstr(iopmem_path_name(v.path)));
		}
		json_array_append_new(rows, row);
	}
	jset(doc, "devices", devs);
	jset(doc, "functions", funcs);
	jset(doc, "matrix", rows);
	return doc;
}

static void topo_text(struct iopmem_ctx *ctx, struct opts *o, const size_t *idx, size_t n)
{
	struct topo_notes notes = { 0 };
	size_t i, j;

	printf("P2P from column (client) into row's BAR (provider):\n%-6s", "");
	for (j = 0; j < n; j++) {
		char col[24];

		snprintf(col, sizeof(col), "D%zu", j);
		printf(" %12s", col);
	}
	printf("\n");
	for (i = 0; i < n; i++) {
		printf("D%-5zu", i);
		for (j = 0; j < n; j++) {
			struct iopmem_verdict v;

			iopmem_p2p_verdict(ctx, (int)idx[i], (int)idx[j], &v);
			topo_note(&notes, &v, (int)i, (int)j);
			printf(" %12s", iopmem_path_name(v.path));
		}
		printf("\n");
	}
	printf("\n");
	for (i = 0; i < n; i++) {
		char label[256];

		printf("D%-3zu %s\n", i, func_label(o, iopmem_func_get(ctx, idx[i]), label, sizeof(label)));
	}
	printf("\nSWITCH      turns around in a common PCIe switch (bus addresses, no IOMMU)\n"
	       "HOSTBRIDGE  through the root complex of one host bridge (trusted platform)\n"
	       "CROSS-HB    through the root complex, across host bridges (trusted platform)\n"
	       "NONE        not supported by the kernel's P2P rules\n");
	topo_footnotes(&notes);
}

/* Every function that can take part, however many (no silent cut-off). */
static int cmd_topo(struct iopmem_ctx *ctx, struct opts *o)
{
	size_t count = iopmem_func_count(ctx), n = 0, k;
	size_t *idx = calloc(count ? count : 1, sizeof(*idx));

	if (!idx)
		return cli_fail(o, 2, "iopmem: out of memory");
	for (k = 0; k < count; k++)
		if (p2p_relevant(iopmem_func_get(ctx, k)))
			idx[n++] = k;
	if (o->json)
		json_print(o, topo_json(ctx, o, idx, n));
	else
		topo_text(ctx, o, idx, n);
	free(idx);
	return 0;
}

static json_t *check_json(struct iopmem_ctx *ctx, struct opts *o, int p, int c,
			  const struct iopmem_verdict *v, const uint64_t *addrs)
{
	json_t *doc = json_object(), *hops = json_array();
	int i;

	jset(doc, "provider", jstr(iopmem_func_get(ctx, (size_t)p)->bdf));
	jset(doc, "client", jstr(iopmem_func_get(ctx, (size_t)c)->bdf));
	jset(doc, "provider_info", func_json(o, iopmem_func_get(ctx, (size_t)p)));
	jset(doc, "client_info", func_json(o, iopmem_func_get(ctx, (size_t)c)));
	jset(doc, "path", jstr(iopmem_path_name(v->path)));
	jset(doc, "distance", json_integer(v->distance));
	jset(doc, "use_bus_addr", json_boolean(v->use_bus_addr));
	jset(doc, "via_iommu", json_boolean(v->via_iommu));
	for (i = 0; i < v->nhops; i++)
		json_array_append_new(hops, jstr(iopmem_func_get(ctx, (size_t)v->hops[i])->bdf));
	jset(doc, "hops", hops);
	jset(doc, "reason", jstr(v->reason));
	if (addrs) {
		char hex[32];

		snprintf(hex, sizeof(hex), "%#llx", (unsigned long long)addrs[0]);
		jset(doc, "cpu_addr", jstr(hex));
		snprintf(hex, sizeof(hex), "%#llx", (unsigned long long)addrs[1]);
		jset(doc, "bus_addr", jstr(hex));
	}
	return doc;
}

static void check_text(struct iopmem_ctx *ctx, struct opts *o, int p, int c,
		       const struct iopmem_verdict *v, const uint64_t *addrs)
{
	char label[256];

	printf("provider  %s\n", func_label(o, iopmem_func_get(ctx, (size_t)p), label, sizeof(label)));
	printf("client    %s\n", func_label(o, iopmem_func_get(ctx, (size_t)c), label, sizeof(label)));
	if (v->path != IOPMEM_PATH_NONE && v->path != IOPMEM_PATH_SELF && v->nhops > 1) {
		int i;

		printf("path     ");
		for (i = 0; i < v->nhops; i++)
			printf(" %s%s", iopmem_func_get(ctx, (size_t)v->hops[i])->bdf,
			       i + 1 < v->nhops ? " ->" : "\n");
	}
	printf("verdict   %s\nreason    %s\n", iopmem_path_name(v->path), v->reason);
	if (addrs && v->path == IOPMEM_PATH_SWITCH)
		printf("address   target bus address %#llx (CPU address %#llx, host bridge offset %#llx)\n",
		       (unsigned long long)addrs[1], (unsigned long long)addrs[0],
		       (unsigned long long)(addrs[0] - addrs[1]));
	else if (addrs && v->path != IOPMEM_PATH_NONE)
		printf("address   the client's DMA API maps CPU address %#llx\n",
		       (unsigned long long)addrs[0]);
}

static int cmd_check(struct iopmem_ctx *ctx, struct opts *o)
{
	struct iopmem_verdict v;
	uint64_t addrs[2] = { 0, 0 };
	int p, c, has_addrs;

	p = iopmem_func_find(ctx, o->args[0]);
	c = p < 0 ? p : iopmem_func_find(ctx, o->args[1]);
	if (p < 0 || c < 0)
		return cli_fail(o, 2, "iopmem: %s", iopmem_ctx_error(ctx));
	iopmem_p2p_verdict(ctx, p, c, &v);
	if (v.acs_unknown)
		return cli_fail(o, 2, "iopmem: cannot read the PCI config space of the bridges on the path "
				"(ACS redirect state unknown): run as root");
	has_addrs = !iopmem_func_bar_addrs(ctx, p, &addrs[0], &addrs[1]);
	if (o->json)
		json_print(o, check_json(ctx, o, p, c, &v, has_addrs ? addrs : NULL));
	else
		check_text(ctx, o, p, c, &v, has_addrs ? addrs : NULL);
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

static int cmd_info(struct opts *o)
{
	static const char *const attrs[] = { "pci_dev", "bar", "size", "bar_size", "cpu_addr",
					     "bus_addr", "backend", "memtype", "flags", "pages_pinned",
					     "faults_user", "faults_kernel" };
	const char *want = o->nargs ? strrchr(o->args[0], '/') : NULL;
	const char *root = o->root ? o->root : "";
	json_t *doc = json_array();
	char path[512], val[128];
	struct dirent *de;
	size_t a;
	int shown = 0;
	DIR *dir;

	want = want ? want + 1 : (o->nargs ? o->args[0] : NULL);
	snprintf(path, sizeof(path), "%s/sys/class/iopmem", root);
	dir = opendir(path);
	if (!dir) {
		json_decref(doc);
		return cli_fail(o, 2, "iopmem: iopmem.ko is not loaded (no %s)", path);
	}
	while ((de = readdir(dir))) {
		json_t *node = json_object();

		if (de->d_name[0] == '.' || (want && strcmp(want, de->d_name))) {
			json_decref(node);
			continue;
		}
		if (!o->json)
			printf("%s%s\n", shown ? "\n" : "", de->d_name);
		jset(node, "node", jstr(de->d_name));
		for (a = 0; a < sizeof(attrs) / sizeof(attrs[0]); a++) {
			if (read_attr(root, de->d_name, attrs[a], val, sizeof(val)))
				continue;
			jset(node, attrs[a], jstr(val));
			if (!o->json)
				printf("  %-13s %s\n", attrs[a], val);
		}
		json_array_append_new(doc, node);
		shown++;
	}
	closedir(dir);
	if (want && !shown) {
		json_decref(doc);
		return cli_fail(o, 2, "iopmem: %s is not an iopmem device", o->args[0]);
	}
	if (o->json)
		json_print(o, doc);
	else
		json_decref(doc);
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

static int is_dir(const char *path)
{
	struct stat st;

	errno = 0;
	return !stat(path, &st) && S_ISDIR(st.st_mode);
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
		else if (!strcmp(argv[i], "--root") && i + 1 >= argc)
			return cli_fail(o, 2, "iopmem: --root needs a directory (a captured /sys and /proc tree)");
		else if (!strcmp(argv[i], "--root") && !is_dir(argv[i + 1]))
			return cli_fail(o, 2, "iopmem: --root %s: %s", argv[i + 1],
					errno ? strerror(errno) : "not a directory");
		else if (!strcmp(argv[i], "--root"))
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

static int run(struct opts *o, int argc, char **argv)
{
	struct iopmem_ctx *ctx = NULL;
	const char *cmd = NULL;
	int at = 0, ret;

	ret = parse_args(argc, argv, o, &cmd, &at);
	if (ret || !cmd)
		return ret < 0 ? 0 : 2;
	if (!strcmp(cmd, "info"))
		return cmd_info(o);
	ret = iopmem_ctx_new(&ctx, o->root);
	if (ret)
		ret = cli_fail(o, 2, "iopmem: %s", iopmem_ctx_error(ctx));
	else
		ret = run_cmd(ctx, cmd, argc - at, argv + at, o);
	iopmem_ctx_free(ctx);
	return ret;
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	int ret = run(&o, argc, argv);

	/* --json: a failure that printed no document prints {"error": ...}. */
	if (ret >= 2)
		json_error(&o, ret);
	if (o.pci)
		pci_cleanup(o.pci);
	return ret;
}
