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
#include <unistd.h>

#include "../include/uapi/iopmem.h"
#include "cli.h"

enum status { PASS, WARN, FAIL };

struct report {
	const struct opts *o;
	int n;
	int failed;
};

static void say(struct report *r, enum status st, const char *check, const char *detail,
		const char *hint)
{
	static const char *const names[] = { "PASS", "WARN", "FAIL" };

	r->failed |= st == FAIL;
	if (!r->o->json) {
		printf("%-4s  %-13s %s\n", names[st], check, detail);
		if (st != PASS && hint && *hint)
			printf("      %-13s fix: %s\n", "", hint);
		return;
	}
	printf(r->n++ ? ",{" : "{");
	printf("\"check\":");
	json_str(check);
	printf(",\"status\":");
	json_str(names[st]);
	printf(",\"detail\":");
	json_str(detail);
	printf(",\"hint\":");
	json_str(st != PASS && hint ? hint : "");
	printf("}");
}

static void check_kernel(struct report *r, const struct iopmem_platform *p)
{
	char d[512];
	const char *cfg = p->config_path[0] ? p->config_path : "not found";

	snprintf(d, sizeof(d), "kernel %s, CONFIG_ZONE_DEVICE %s (config: %s)", p->kernel_release,
		 p->zone_device == 1 ? "set" : p->zone_device == 0 ? "not set" : "unknown", cfg);
	say(r, p->zone_device == 1 ? PASS : p->zone_device == 0 ? FAIL : WARN, "zone-device", d,
	    p->zone_device == 0 ? "iopmem needs a kernel built with CONFIG_ZONE_DEVICE=y"
				: "install linux-headers-$(uname -r) so the kernel config can be read");
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

static void check_module(struct report *r, const struct iopmem_platform *p)
{
	char d[256];

	if (!p->module_loaded) {
		say(r, FAIL, "module", "iopmem.ko is not loaded",
		    "make -C kernel && insmod kernel/iopmem.ko (or modprobe iopmem once installed)");
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
int cmd_doctor(struct iopmem_ctx *ctx, const struct opts *o)
{
	struct report r = { .o = o };
	struct iopmem_platform p;

	iopmem_platform_get(ctx, &p);
	printf(o->json ? "[" : "");
	check_kernel(&r, &p);
	check_iommu(&r, &p);
	check_acs(&r, ctx);
	check_module(&r, &p);
	check_secure_boot(&r, &p);
	check_devices(&r, ctx, o->root ? o->root : "");
	printf(o->json ? "]\n" : "");
	return r.failed ? 1 : 0;
}
