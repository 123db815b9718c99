// SPDX-License-Identifier: MIT
/*
 * iopmem doctor: can P2P DMA work on this machine, and if not, what to do.
 * Every check prints PASS, WARN or FAIL with what it saw and, unless PASS,
 * how to fix it. Exit status 1 when anything FAILs.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../include/uapi/iopmem.h"
#include "cli.h"

enum status { PASS, WARN, FAIL };

struct report {
	struct opts *o;
	const char *root;  /* --root, or "" */
	json_t *checks;    /* --json: the checks so far */
	int failed;
};

static void say(struct report *r, enum status st, const char *check, const char *detail,
		const char *hint)
{
	static const char *const names[] = { "PASS", "WARN", "FAIL" };
	json_t *c;

	r->failed |= st == FAIL;
	if (!r->o->json) {
		printf("%-4s  %-13s %s\n", names[st], check, detail);
		if (st != PASS && hint && *hint)
			printf("      %-13s fix: %s\n", "", hint);
		return;
	}
	c = json_object();
	jset(c, "check", jstr(check));
	jset(c, "status", jstr(names[st]));
	jset(c, "detail", jstr(detail));
	jset(c, "hint", jstr(st != PASS && hint ? hint : ""));
	json_array_append_new(r->checks, c);
}

/*
 * The kernel lines iopmem.ko serves, as data (README's kernel table). Up to
 * 6.14 it maps the BAR through devmap PTEs; from 6.15 on (FS-DAX and P2PDMA
 * pages idle at refcount 0; pfn_t gone in 6.17) as refcounted pages, which
 * its build probes for. Lines between the lab's kernels build by the same
 * probes but are not tested.
 */
static const struct {
	unsigned int from, to; /* major * 1000 + minor, inclusive */
	enum status st;
	const char *what;
} kernel_lines[] = {
	{ 0, 5999, WARN, "older than any kernel iopmem.ko is tested on (6.1, 6.12, 7.2)" },
	{ 6001, 6014, PASS, "a kernel line iopmem.ko serves with devmap PTEs (tested: 6.1, 6.12)" },
	{ 6015, 7002, PASS, "a kernel line iopmem.ko serves with refcounted pages (tested: 7.2)" },
	{ 7003, 999999, WARN, "newer than any kernel iopmem.ko is tested on (7.2); its build probes "
			      "the kernel and stops with a message where it cannot serve it" },
};

/* Is this kernel one iopmem.ko can serve at all? */
static void check_kernel_line(struct report *r, const struct iopmem_platform *p)
{
	unsigned int major = 0, minor = 0, v;
	char d[512];
	size_t i;

	if (sscanf(p->kernel_release, "%u.%u", &major, &minor) != 2) {
		say(r, WARN, "kernel", "cannot read the kernel release", NULL);
		return;
	}
	v = major * 1000 + minor;
	for (i = 0; i < sizeof(kernel_lines) / sizeof(kernel_lines[0]); i++) {
		if (v < kernel_lines[i].from || v > kernel_lines[i].to)
			continue;
		snprintf(d, sizeof(d), "kernel %s: %s", p->kernel_release, kernel_lines[i].what);
		say(r, kernel_lines[i].st, "kernel", d,
		    "boot a kernel of a tested line (Debian's 6.1, 6.12 or 7.2); the README's kernel "
		    "table lists them");
		return;
	}
}

static void check_kernel(struct report *r, const struct iopmem_platform *p)
{
	char d[512];
	const char *cfg = p->config_path[0] ? p->config_path : "not found";

	check_kernel_line(r, p);
	snprintf(d, sizeof(d), "CONFIG_ZONE_DEVICE %s (config: %s)",
		 p->zone_device == 1 ? "set" : p->zone_device == 0 ? "not set" : "unknown", cfg);
	say(r, p->zone_device == 1 ? PASS : p->zone_device == 0 ? FAIL : WARN, "zone-device", d,
	    p->zone_device == 0 ? "iopmem needs a kernel built with CONFIG_ZONE_DEVICE=y"
				: "install linux-headers-$(uname -r) (or boot a kernel with /proc/config.gz) "
				  "so the kernel config can be read");
	if (p->pci_p2pdma == 1) {
		say(r, PASS, "p2pdma", "CONFIG_PCI_P2PDMA set: iopmem registers BARs as kernel p2pdma "
			"providers and the kernel enforces P2P rules at DMA time", NULL);
	} else {
		snprintf(d, sizeof(d), "CONFIG_PCI_P2PDMA %s: iopmem uses its own ZONE_DEVICE "
			 "registration and nothing checks the path at DMA time",
			 p->pci_p2pdma == 0 ? "not set" : "unknown");
		say(r, WARN, "p2pdma", d,
		    "run `iopmem check PROVIDER CLIENT` before moving data between two devices");
	}
}

static void check_iommu(struct report *r, const struct iopmem_platform *p)
{
	char d[256];

	if (!p->iommu_units) {
		say(r, PASS, "iommu", "no IOMMU: devices DMA to physical/bus addresses", NULL);
		return;
	}
	snprintf(d, sizeof(d), "%d IOMMU unit(s); %d group(s) translate DMA, %d in passthrough",
		 p->iommu_units, p->iommu_groups_dma, p->iommu_groups_identity);
	say(r, PASS, "iommu", d, NULL);
}

static void check_acs(struct report *r, struct iopmem_ctx *ctx)
{
	char list[256] = "", d[384];
	size_t i, len = 0;
	int unknown = 0;

	for (i = 0; i < iopmem_func_count(ctx); i++) {
		const struct iopmem_func *f = iopmem_func_get(ctx, i);

		unknown |= f->is_bridge && f->acs_redirect < 0;
		if (f->acs_redirect == 1 && len + strlen(f->bdf) + 2 < sizeof(list))
			len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", len ? ";" : "",
						f->bdf);
	}
	if (unknown) {
		say(r, WARN, "acs", "cannot read PCI config space: ACS redirect state unknown",
		    "run iopmem doctor as root");
	} else if (len) {
		snprintf(d, sizeof(d), "ACS redirect on %s: P2P below these ports goes up to the root complex",
			 list);
		say(r, WARN, "acs", d, "boot with pci=disable_acs_redir=<the ports above> if isolation allows");
	} else {
		say(r, PASS, "acs", "no port redirects P2P traffic upstream (ACS)", NULL);
	}
}

/* Kernel headers to build the module against: /lib/modules/RELEASE/build. */
static int have_headers(const struct report *r, const struct iopmem_platform *p)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/lib/modules/%s/build/Makefile", r->root, p->kernel_release);
	return !stat(path, &st);
}

/*
 * GCC's major version the kernel headers were built with (CONFIG_GCC_VERSION
 * in their .config, e.g. 140200 -> 14), or 0 when unknown.
 */
static unsigned int headers_gcc(const struct report *r, const struct iopmem_platform *p)
{
	char path[512], line[256];
	unsigned int v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/lib/modules/%s/build/.config", r->root, p->kernel_release);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CONFIG_GCC_VERSION=%u", &v) == 1)
			break;
	fclose(f);
	return v / 10000;
}

/* Is GCC of major version @major installed (Debian's /usr/lib/gcc/TRIPLE/N)? */
static int have_gcc(const struct report *r, unsigned int major)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/usr/lib/gcc/x86_64-linux-gnu/%u", r->root, major);
	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

/*
 * Out-of-tree modules must be built by the compiler the kernel was: Debian's
 * 7.x headers pass flags (-fmin-function-alignment) that older GCCs reject,
 * and the module build then fails on its first probe.
 */
static void check_compiler(struct report *r, const struct iopmem_platform *p)
{
	unsigned int major = headers_gcc(r, p);
	char d[256], hint[320];

	if (!major)
		return;
	snprintf(d, sizeof(d), "the headers of %s were built with GCC %u%s", p->kernel_release, major,
		 have_gcc(r, major) ? ", which is installed" : ", which this machine lacks");
	snprintf(hint, sizeof(hint),
		 "install gcc-%u (from the Debian suite this kernel comes from), or build iopmem.ko in a "
		 "chroot of that suite; a different GCC cannot build modules for this kernel", major);
	say(r, have_gcc(r, major) ? PASS : FAIL, "compiler", d, hint);
}

static void check_module(struct report *r, const struct iopmem_platform *p)
{
	char d[256];

	if (!p->module_loaded) {
		char hint[256];

		if (have_headers(r, p))
			snprintf(hint, sizeof(hint), "modprobe iopmem if installed, else make -C kernel && "
				 "insmod kernel/iopmem.ko");
		else
			snprintf(hint, sizeof(hint), "no kernel headers for this kernel: apt-get install "
				 "linux-headers-%s, then make -C kernel && insmod kernel/iopmem.ko",
				 p->kernel_release[0] ? p->kernel_release : "$(uname -r)");
		say(r, FAIL, "module", "iopmem.ko is not loaded", hint);
		return;
	}
	if (p->module_abi < 0) {
		snprintf(d, sizeof(d), "iopmem.ko %s loaded, but no BAR is bound", p->module_version);
		say(r, WARN, "module", d,
		    "echo iopmem > /sys/bus/pci/devices/BDF/driver_override; echo BDF > /sys/bus/pci/drivers/iopmem/bind");
		return;
	}
	snprintf(d, sizeof(d), "iopmem.ko %s loaded, ABI %d (tools: ABI %d)", p->module_version,
		 p->module_abi, IOPMEM_ABI_VERSION);
	say(r, p->module_abi == IOPMEM_ABI_VERSION ? PASS : FAIL, "module", d,
	    "the module and the tools come from different releases: reinstall both");
}

static void check_secure_boot(struct report *r, const struct iopmem_platform *p)
{
	if (p->secure_boot == 1)
		say(r, WARN, "secure-boot", "Secure Boot is on: unsigned modules are refused",
		    "sign iopmem.ko with a key enrolled through mokutil (DKMS installs do this)");
	else
		say(r, PASS, "secure-boot", p->secure_boot == 0 ? "Secure Boot is off" :
			"no EFI Secure Boot state (legacy boot or no efivars)", NULL);
}

/* Functions iopmem.ko could bind: a memory BAR of 2 MiB or more, not a bridge, not its own yet. */
static void check_bindable(struct report *r, struct iopmem_ctx *ctx)
{
	char list[512] = "", d[640], name[128];
	size_t i, len = 0;
	int n = 0, listed = 0;

	for (i = 0; i < iopmem_func_count(ctx); i++) {
		const struct iopmem_func *f = iopmem_func_get(ctx, i);

		if (!f->has_mem_bar || f->is_bridge || !strcmp(f->driver, "iopmem"))
			continue;
		n++;
		if (len + 160 >= sizeof(list))
			continue;
		listed++;
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s %s", len ? "; " : "", f->bdf,
					func_name(r->o, f, name, sizeof(name))[0] ? name : f->driver);
	}
	if (!n) {
		say(r, WARN, "bindable", "no PCI function has a memory BAR of 2 MiB or more that iopmem.ko "
		    "could own", "a P2P buffer needs a device with a large memory BAR (NVMe CMB/PMR, FPGA, GPU)");
		return;
	}
	snprintf(d, sizeof(d), "%d function(s) with a memory BAR of 2 MiB or more: %s%s", n, list,
		 listed < n ? "; ..." : "");
	say(r, PASS, "bindable", d, NULL);
}

/* Each bound BAR: device node access, placement, and its verdict to every peer. */
static void check_devices(struct report *r, struct iopmem_ctx *ctx, const char *root)
{
	char path[512], d[640], node_path[128];
	struct dirent *de;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/sys/class/iopmem", root);
	dir = opendir(path);
	while (dir && (de = readdir(dir))) {
		unsigned long long cpu, size;
		char bdf[32], val[64];
		size_t i;
		int me;

		if (de->d_name[0] == '.' || read_attr(root, de->d_name, "pci_dev", bdf, sizeof(bdf)))
			continue;
		cpu = read_attr(root, de->d_name, "cpu_addr", val, sizeof(val)) ? 0 : strtoull(val, NULL, 0);
		size = read_attr(root, de->d_name, "size", val, sizeof(val)) ? 0 : strtoull(val, NULL, 0);
		snprintf(node_path, sizeof(node_path), "%s/dev/%.32s", root, de->d_name);
		snprintf(d, sizeof(d), "/dev/%s (%s): %s", de->d_name, bdf,
			 access(node_path, R_OK | W_OK) ? "no read/write access" : "read/write access");
		say(r, access(node_path, R_OK | W_OK) ? WARN : PASS, "device-node", d,
		    "run as root, or give a group access with a udev rule");
		snprintf(d, sizeof(d), "/dev/%s: %llu MiB at %#llx, %s 4 GiB", de->d_name, size >> 20,
			 cpu, cpu >= (1ULL << 32) ? "above" : "below");
		say(r, cpu >= (1ULL << 32) ? PASS : WARN, "bar", d,
		    "large BARs need 'above 4G decoding' (and resizable BAR) enabled in firmware");

		me = iopmem_func_find(ctx, bdf);
		for (i = 0; me >= 0 && i < iopmem_func_count(ctx); i++) {
			const struct iopmem_func *peer = iopmem_func_get(ctx, i);
			struct iopmem_verdict v;

			if ((int)i == me || !p2p_relevant(peer) || !strcmp(peer->driver, "iopmem"))
				continue;
			iopmem_p2p_verdict(ctx, me, (int)i, &v);
			snprintf(d, sizeof(d), "/dev/%s <- %s (%s): %s", de->d_name, peer->bdf,
				 peer->driver[0] ? peer->driver : "no driver", iopmem_path_name(v.path));
			say(r, v.path == IOPMEM_PATH_NONE ? WARN : PASS, "peer", d,
			    "no P2P path by the kernel's rules: data between these goes through RAM");
		}
	}
	if (dir)
		closedir(dir);
}

/**
 * cmd_doctor() - run every check.
 * @ctx: the topology.
 * @o: options (--json, --root).
 *
 * Return: 0, or 1 when a check failed.
 */
int cmd_doctor(struct iopmem_ctx *ctx, struct opts *o)
{
	struct report r = { .o = o, .root = o->root ? o->root : "", .checks = json_array() };
	struct iopmem_platform p;

	iopmem_platform_get(ctx, &p);
	check_kernel(&r, &p);
	check_compiler(&r, &p);
	check_iommu(&r, &p);
	check_acs(&r, ctx);
	check_module(&r, &p);
	check_secure_boot(&r, &p);
	check_bindable(&r, ctx);
	check_devices(&r, ctx, r.root);
	if (o->json)
		json_print(o, r.checks);
	else
		json_decref(r.checks);
	return r.failed ? 1 : 0;
}
