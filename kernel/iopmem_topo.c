// SPDX-License-Identifier: GPL-2.0
/*
 * Can a client function DMA into the BAR, and with which address?
 *
 * The rules are the kernel's (drivers/pci/p2pdma.c, calc_map_type_and_dist):
 * a common upstream bridge with no ACS redirect on the path means the traffic
 * turns around in the switch and the client must target the BAR's PCI bus
 * address; otherwise it goes through the root complex, which only trusted
 * platforms forward (AMD Zen CPUs, whitelisted host bridges), and the client
 * must map the BAR through its DMA API. Kernels without CONFIG_PCI_P2PDMA do
 * not check this when the pages are DMA-mapped, so iopmem applies the rules
 * itself for the devices it owns. Where the kernel has p2pdma, the yes or no
 * of its pci_p2pdma_distance_many() decides (it is what the DMA mapping code
 * enforces); the kind of path (switch or root complex) stays ours, from the
 * same walk.
 */
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <asm/processor.h>

#include "iopmem_drv.h"

/*
 * Root complexes that forward P2P: the kernel's pci_p2pdma_whitelist[] as of
 * 7.2 (the root-bus function pci_host_bridge_dev() picks; on Sapphire Rapids
 * and later the DSA/IAA/QAT accelerators head their own root buses).
 * PCI_ANY_ID matches every device of the vendor.
 */
static const struct iopmem_hb_entry {
	u16 vendor;
	u16 device;
	bool same_host_bridge_only;
} iopmem_hb_whitelist[] = {
	{ PCI_VENDOR_ID_INTEL, 0x3c00, true },	/* Xeon E5/Core i7 */
	{ PCI_VENDOR_ID_INTEL, 0x3c01, true },
	{ PCI_VENDOR_ID_INTEL, 0x2f00, true },	/* Xeon E7 v3/E5 v3/Core i7 */
	{ PCI_VENDOR_ID_INTEL, 0x2f01, true },
	{ PCI_VENDOR_ID_INTEL, 0x2030, false },	/* Skylake-E */
	{ PCI_VENDOR_ID_INTEL, 0x2031, false },
	{ PCI_VENDOR_ID_INTEL, 0x2032, false },
	{ PCI_VENDOR_ID_INTEL, 0x2033, false },
	{ PCI_VENDOR_ID_INTEL, 0x2020, false },
	{ PCI_VENDOR_ID_INTEL, 0x09a2, false },
	{ PCI_VENDOR_ID_INTEL, 0x0b25, false },	/* DSA, Sapphire Rapids */
	{ PCI_VENDOR_ID_INTEL, 0x0cfe, false },	/* IAX, Sapphire Rapids */
	{ PCI_VENDOR_ID_INTEL, 0x11fb, false },	/* DSA, Granite Rapids-D */
	{ PCI_VENDOR_ID_INTEL, 0x1212, false },	/* DSA, Diamond Rapids */
	{ PCI_VENDOR_ID_INTEL, 0x1216, false },	/* IAA, Diamond Rapids */
	{ PCI_VENDOR_ID_INTEL, 0x4940, false },	/* QAT 4xxx */
	{ PCI_VENDOR_ID_INTEL, 0x4942, false },	/* QAT 401xx */
	{ PCI_VENDOR_ID_INTEL, 0x4944, false },	/* QAT 402xx */
	{ PCI_VENDOR_ID_INTEL, 0x4946, false },	/* QAT 420xx */
	{ PCI_VENDOR_ID_INTEL, 0x4948, false },	/* QAT 6xxx */
	{ 0x1ae0, (u16)PCI_ANY_ID, false },	/* Google SoCs */
};

/* CPUs whose root complex the kernel trusts for any P2P path. */
static const struct iopmem_cpu_entry {
	u8 vendor;
	u8 min_family;
} iopmem_cpu_whitelist[] = {
	{ X86_VENDOR_AMD, 0x17 },		/* Zen and newer */
};

static bool cpu_trusted(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(iopmem_cpu_whitelist); i++)
		if (boot_cpu_data.x86_vendor == iopmem_cpu_whitelist[i].vendor &&
		    boot_cpu_data.x86 >= iopmem_cpu_whitelist[i].min_family)
			return true;
	return false;
}

/*
 * The device whose ids the whitelist is about, as the kernel's
 * pci_host_bridge_dev() picks it: the first device on the host bridge's root
 * bus, if it is 00.0 or a root port (Intel Skylake-SP has no 00.0 host
 * bridge device; its root ports 0x2030-0x2033 are on the list). A reference
 * is taken; NULL when there is none.
 */
static struct pci_dev *hb_dev(struct pci_host_bridge *host)
{
	struct pci_dev *first = NULL;
	unsigned int devfn;

	for (devfn = 0; devfn < 256 && !first; devfn++)
		first = pci_get_slot(host->bus, devfn);
	if (first && first->devfn != PCI_DEVFN(0, 0) &&
	    pci_pcie_type(first) != PCI_EXP_TYPE_ROOT_PORT) {
		pci_dev_put(first);
		return NULL;
	}
	return first;
}

static const struct iopmem_hb_entry *hb_listed(struct pci_host_bridge *host)
{
	struct pci_dev *root = hb_dev(host);
	const struct iopmem_hb_entry *found = NULL;
	size_t i;

	if (!root)
		return NULL;
	for (i = 0; i < ARRAY_SIZE(iopmem_hb_whitelist); i++)
		if (iopmem_hb_whitelist[i].vendor == root->vendor &&
		    (iopmem_hb_whitelist[i].device == root->device ||
		     iopmem_hb_whitelist[i].device == (u16)PCI_ANY_ID)) {
			found = &iopmem_hb_whitelist[i];
			break;
		}
	pci_dev_put(root);
	return found;
}

static bool hb_allows(struct pci_dev *a, struct pci_dev *b)
{
	struct pci_host_bridge *ha = pci_find_host_bridge(a->bus);
	struct pci_host_bridge *hb = pci_find_host_bridge(b->bus);
	const struct iopmem_hb_entry *ea = hb_listed(ha);
	const struct iopmem_hb_entry *eb = hb_listed(hb);

	if (ha == hb)
		return ea;
	return ea && eb && !ea->same_host_bridge_only && !eb->same_host_bridge_only;
}

static bool acs_redirects(struct pci_dev *dev)
{
	int pos = pci_find_ext_capability(dev, PCI_EXT_CAP_ID_ACS);
	u16 ctrl;

	if (!pos)
		return false;
	pci_read_config_word(dev, pos + PCI_ACS_CTRL, &ctrl);
	return ctrl & (PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_EC);
}

/* The common upstream bridge of a and b (or a or b itself), or NULL. */
static struct pci_dev *common_upstream(struct pci_dev *a, struct pci_dev *b, int *dist)
{
	struct pci_dev *x, *y;
	int da = 0, db;

	for (x = a; x; x = pci_upstream_bridge(x), da++) {
		for (y = b, db = 0; y; y = pci_upstream_bridge(y), db++) {
			if (x == y) {
				*dist = da + db;
				return x;
			}
		}
	}
	*dist = da + db;
	return NULL;
}

/*
 * Any function from dev up to top redirecting P2P upstream (ACS)? As the
 * kernel's calc_map_type_and_dist() walks: the provider's side counts the
 * common upstream bridge too (with_top), the client's side stops below it.
 */
static bool path_redirects(struct pci_dev *dev, struct pci_dev *top, bool with_top)
{
	for (; dev && dev != top; dev = pci_upstream_bridge(dev))
		if (acs_redirects(dev))
			return true;
	return with_top && top && acs_redirects(top);
}

static u32 classify(struct pci_dev *provider, struct pci_dev *client, struct iopmem_p2p_query *q)
{
	struct pci_dev *common;

	if (provider == client)
		return IOPMEM_P2P_SELF;
	common = common_upstream(provider, client, &q->distance);
	if (common) {
		if (!path_redirects(provider, common, true) &&
		    !path_redirects(client, common, false))
			return IOPMEM_P2P_SWITCH;
		q->flags |= IOPMEM_P2P_F_ACS_REDIRECT;
	}
	if (!cpu_trusted() && !hb_allows(provider, client))
		return IOPMEM_P2P_NONE;
	if (pci_find_host_bridge(provider->bus) == pci_find_host_bridge(client->bus))
		return IOPMEM_P2P_HOSTBRIDGE;
	return IOPMEM_P2P_CROSS_HB;
}

/*
 * With CONFIG_PCI_P2PDMA the kernel's verdict is the one its DMA mapping code
 * enforces, for any provider (pci_p2pdma_distance_many() needs none to be
 * registered): follow it both ways, should its tables differ from ours. The
 * kernel says only yes or no; a yes where ours said no can only be a
 * whitelist difference, so the path is through the root complex.
 */
static void apply_kernel_rules(struct pci_dev *provider, struct pci_dev *client,
			       struct iopmem_p2p_query *q)
{
	struct device *clients[] = { &client->dev };

	if (!IS_ENABLED(CONFIG_PCI_P2PDMA) || provider == client)
		return;
	q->flags |= IOPMEM_P2P_F_KERNEL_RULES;
	if (pci_p2pdma_distance_many(provider, clients, 1, false) < 0)
		q->path = IOPMEM_P2P_NONE;
	else if (q->path == IOPMEM_P2P_NONE)
		q->path = pci_find_host_bridge(provider->bus) == pci_find_host_bridge(client->bus) ?
			  IOPMEM_P2P_HOSTBRIDGE : IOPMEM_P2P_CROSS_HB;
}

/**
 * iopmem_p2p_verdict() - how @client reaches the BAR, and with which address.
 * @idev: the BAR's device.
 * @client: the client PCI function.
 * @q: verdict out (path, distance, flags, dma_addr); the client fields are
 *     left alone.
 *
 * Return: 0, or -EREMOTEIO when no path works, in which case no address is
 * handed out.
 */
int iopmem_p2p_verdict(struct iopmem_dev *idev, struct pci_dev *client,
		       struct iopmem_p2p_query *q)
{
	q->flags = 0;
	q->dma_addr = 0;
	q->distance = 0;
	q->path = classify(idev->pdev, client, q);
	apply_kernel_rules(idev->pdev, client, q);

	switch (q->path) {
	case IOPMEM_P2P_NONE:
		q->distance = -1;
		return -EREMOTEIO;
	case IOPMEM_P2P_SELF:
	case IOPMEM_P2P_SWITCH:
		q->flags |= IOPMEM_P2P_F_BUS_ADDR;
		q->dma_addr = idev->bus_addr;
		return 0;
	default:
		q->flags |= IOPMEM_P2P_F_DMA_API;
		return 0;
	}
}

/*
 * PCI_DEVFN() masks its arguments: device 40 would silently name device 8.
 * Out-of-range numbers and non-zero pad/reserved fields are refused, so the
 * reserved fields can carry meaning in a later ABI.
 */
static bool p2p_query_valid(const struct iopmem_p2p_query *q)
{
	return q->client_dev < 32 && q->client_fn < 8 && !q->pad && !q->reserved0 &&
	       !q->reserved[0] && !q->reserved[1];
}

/**
 * iopmem_p2p_query() - answer IOPMEM_IOC_P2P: the client named by BDF in @q.
 * @idev: the BAR's device.
 * @q: client in, verdict out.
 *
 * Return: as iopmem_p2p_verdict(), -EINVAL for a malformed query, or -ENODEV
 * for an unknown client.
 */
int iopmem_p2p_query(struct iopmem_dev *idev, struct iopmem_p2p_query *q)
{
	struct pci_dev *client;
	int ret;

	if (!p2p_query_valid(q))
		return -EINVAL;
	client = pci_get_domain_bus_and_slot(q->client_domain, q->client_bus,
					     PCI_DEVFN(q->client_dev, q->client_fn));
	if (!client)
		return -ENODEV;
	ret = iopmem_p2p_verdict(idev, client, q);
	pci_dev_put(client);
	return ret;
}

/**
 * iopmem_p2p_path_name() - user-visible name of a path.
 * @path: enum iopmem_p2p_path value.
 *
 * Return: "self", "switch", "hostbridge", "cross-hb", "none" or "unknown".
 */
const char *iopmem_p2p_path_name(u32 path)
{
	static const char *const names[] = {
		[IOPMEM_P2P_SELF] = "self",
		[IOPMEM_P2P_SWITCH] = "switch",
		[IOPMEM_P2P_HOSTBRIDGE] = "hostbridge",
		[IOPMEM_P2P_CROSS_HB] = "cross-hb",
		[IOPMEM_P2P_NONE] = "none",
	};

	return path < ARRAY_SIZE(names) ? names[path] : "unknown";
}
