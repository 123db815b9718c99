/* SPDX-License-Identifier: MIT */
/*
 * libiopmem: PCIe peer-to-peer topology for user space.
 *
 * Enumerates PCI functions from sysfs, rebuilds the upstream-bridge tree and
 * answers, for a (provider, client) pair, whether and how the client can DMA
 * into the provider's BAR, with the same rules as the kernel's p2pdma code
 * (drivers/pci/p2pdma.c): a common upstream bridge with no ACS redirect on
 * the path means a direct route through the switch using bus addresses;
 * otherwise the path goes through the root complex, which only whitelisted
 * platforms (AMD Zen CPUs, some Intel Xeon host bridges) support.
 *
 * The library never prints: functions return 0 or a negative errno, and
 * iopmem_ctx_error() explains the last failure in words.
 *
 * Structures the caller allocates (struct iopmem_end, iopmem_copy_opts,
 * iopmem_copy_result, iopmem_verdict, iopmem_platform) end in reserved
 * words so that later releases can add fields without breaking the ABI.
 * Zero-initialise every input structure (struct iopmem_end and
 * iopmem_copy_opts), e.g. "struct iopmem_copy_opts o = { 0 };" or designated
 * initialisers: non-zero reserved words are refused with -EINVAL. The
 * library zeroes output structures (results, verdicts, platform) itself.
 * struct iopmem_func is the library's (see iopmem_func_get()): never
 * allocate or copy one by value; fields may be added at its end.
 *
 * Threads: a context, and the buffers and copies made with it, are used by
 * one thread at a time (iopmem_ctx_error() reports that thread's last
 * failure). Distinct contexts, and buffers of distinct contexts, are
 * independent and may be used concurrently: the library keeps no global or
 * static mutable state. iopmem_version(), iopmem_abi_version() and
 * iopmem_path_name() may be called from any thread at any time.
 */
#ifndef LIBIOPMEM_H
#define LIBIOPMEM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define IOPMEM_LIB_VERSION "0.1.0"

/*
 * The library's interface: exported with default visibility and the
 * LIBIOPMEM_0.1 symbol version (lib/libiopmem.map); everything else in
 * libiopmem is hidden.
 */
#if defined(__GNUC__) && !defined(IOPMEM_API)
#define IOPMEM_API __attribute__((visibility("default")))
#elif !defined(IOPMEM_API)
#define IOPMEM_API
#endif

/* Entries in struct iopmem_verdict.hops. */
#define IOPMEM_MAX_HOPS 32

struct iopmem_ctx;

/** How a client reaches a provider's BAR. */
enum iopmem_path {
	IOPMEM_PATH_SELF = 0,       /* the same function */
	IOPMEM_PATH_SWITCH = 1,     /* turns around in a common upstream bridge (switch) */
	IOPMEM_PATH_HOSTBRIDGE = 2, /* through the root complex of one host bridge */
	IOPMEM_PATH_CROSS_HB = 3,   /* through the root complex, across host bridges */
	IOPMEM_PATH_NONE = 4,       /* no supported path */
};

/** One PCI function as sysfs shows it. */
struct iopmem_func {
	char bdf[16];          /* domain:bus:dev.fn, e.g. "0000:01:00.0" */
	uint16_t vendor;
	uint16_t device;
	uint32_t class_code;   /* 24-bit class code */
	int upstream;          /* index of its upstream bridge, -1 on a root bus */
	char host_bridge[16];  /* e.g. "pci0000:00" */
	int acs_redirect;      /* bridge redirects P2P upstream (ACS RR/CR/EC): 1, 0, or -1 unknown */
	int is_bridge;
	int has_mem_bar;       /* has a memory BAR of at least 2 MiB */
	char driver[32];       /* bound driver, "" if none */
	int iommu_group;       /* -1 if none */
	int iommu_translates;  /* its IOMMU domain translates DMA (type DMA/DMA-FQ) */
};

/** The answer for one (provider, client) pair. */
struct iopmem_verdict {
	enum iopmem_path path;
	int distance;          /* the kernel's p2pdma distance; -1 when path is NONE */
	int use_bus_addr;      /* the client must target the BAR's PCI bus address */
	int via_iommu;         /* the client's DMA goes through a translating IOMMU */
	int acs_unknown;       /* a bridge's config space was unreadable (not root) */
	int hops[IOPMEM_MAX_HOPS]; /* indices: provider ... common bridge ... client */
	int nhops;             /* 0 when the route has more than IOPMEM_MAX_HOPS */
	char reason[512];      /* one sentence a person can act on */
	uint64_t reserved[4];  /* zeroed by the library */
};

/** What the running system offers for P2P (see iopmem_platform_get()). */
struct iopmem_platform {
	char kernel_release[64];
	char config_path[256];  /* kernel config read, "" if none found */
	int zone_device;        /* CONFIG_ZONE_DEVICE: 1 yes, 0 no, -1 unknown */
	int pci_p2pdma;         /* CONFIG_PCI_P2PDMA: 1 yes, 0 no, -1 unknown */
	int iommu_units;        /* entries in /sys/class/iommu */
	int iommu_groups_dma;   /* IOMMU groups whose domain translates DMA */
	int iommu_groups_identity; /* IOMMU groups in passthrough (identity) */
	int secure_boot;        /* 1 on, 0 off, -1 unknown (no EFI variables) */
	int module_loaded;      /* iopmem.ko is loaded */
	char module_version[32];
	int module_abi;         /* ABI version of the loaded module, -1 unknown */
	uint64_t reserved[4];   /* zeroed by the library */
};

/*
 * iopmem_version(): this library's release, e.g. "0.1.0" (the library that
 * is running, which may be newer than the IOPMEM_LIB_VERSION compiled in).
 * iopmem_abi_version(): the iopmem.ko ABI version (IOPMEM_ABI_VERSION of
 * <iopmem.h>) it speaks; iopmem_buf_open() refuses a module with another.
 */
IOPMEM_API const char *iopmem_version(void);
IOPMEM_API int iopmem_abi_version(void);

IOPMEM_API int iopmem_ctx_new(struct iopmem_ctx **ctx, const char *root);
IOPMEM_API void iopmem_ctx_free(struct iopmem_ctx *ctx);
IOPMEM_API const char *iopmem_ctx_error(const struct iopmem_ctx *ctx);

IOPMEM_API size_t iopmem_func_count(const struct iopmem_ctx *ctx);
IOPMEM_API const struct iopmem_func *iopmem_func_get(const struct iopmem_ctx *ctx, size_t index);
IOPMEM_API int iopmem_func_find(struct iopmem_ctx *ctx, const char *name);

IOPMEM_API int iopmem_cpu_trusted(const struct iopmem_ctx *ctx);
IOPMEM_API int iopmem_platform_get(struct iopmem_ctx *ctx, struct iopmem_platform *plat);
IOPMEM_API int iopmem_func_bar_addrs(struct iopmem_ctx *ctx, int index, uint64_t *cpu_addr,
				     uint64_t *bus_addr);
IOPMEM_API int iopmem_p2p_verdict(struct iopmem_ctx *ctx, int provider, int client,
				  struct iopmem_verdict *verdict);
IOPMEM_API const char *iopmem_path_name(enum iopmem_path path);

/* ---- Buffers in device memory ------------------------------------------ */

struct iopmem_buf;

/** Where a buffer's memory comes from. */
enum iopmem_buf_kind {
	IOPMEM_BUF_IOPMEM = 1, /* a BAR owned by iopmem.ko (/dev/iopmemN) */
	IOPMEM_BUF_P2PMEM = 2, /* a kernel p2pdma provider's pool (p2pmem/allocate) */
	IOPMEM_BUF_DAX_FILE = 3, /* a file on a DAX file system on /dev/iopmem-blkN */
};

IOPMEM_API int iopmem_buf_open(struct iopmem_ctx *ctx, const char *name, uint64_t offset,
			       size_t size, struct iopmem_buf **out);
IOPMEM_API void iopmem_buf_close(struct iopmem_buf *buf);
IOPMEM_API void *iopmem_buf_addr(const struct iopmem_buf *buf);
IOPMEM_API size_t iopmem_buf_size(const struct iopmem_buf *buf);
IOPMEM_API int iopmem_buf_provider(const struct iopmem_buf *buf);
IOPMEM_API enum iopmem_buf_kind iopmem_buf_kind(const struct iopmem_buf *buf);
IOPMEM_API const char *iopmem_buf_name(const struct iopmem_buf *buf);

/* ---- Copy engine --------------------------------------------------------- */

/** One end of a copy. */
enum iopmem_end_type {
	IOPMEM_END_FD = 1,  /* a file or block device (opened by the caller) */
	IOPMEM_END_BUF = 2, /* a buffer in device memory */
	IOPMEM_END_MEM = 3, /* host memory */
};

struct iopmem_end {
	enum iopmem_end_type type;
	int fd;                 /* IOPMEM_END_FD */
	struct iopmem_buf *buf; /* IOPMEM_END_BUF */
	void *mem;              /* IOPMEM_END_MEM: at least offset + len bytes */
	uint64_t offset;        /* where the copy starts in this end */
	uint64_t reserved[4];   /* must be zero */
};

/* Defaults, from the measurements in docs/PERFORMANCE.md. */
#define IOPMEM_COPY_DEFAULT_QD    32
#define IOPMEM_COPY_DEFAULT_CHUNK ((size_t)1 << 20)

/* iopmem_copy_opts.flags */
#define IOPMEM_COPY_NO_FALLBACK  (1U << 0) /* fail rather than bounce through host RAM */
#define IOPMEM_COPY_FORCE_BOUNCE (1U << 1) /* bounce on purpose (benchmark baseline) */
#define IOPMEM_COPY_NO_SYNC      (1U << 2) /* skip the final fdatasync() of a file destination */
/*
 * Move the P2P part through the buffer's mapping (O_DIRECT, io_uring), not
 * by asking iopmem.ko to issue the file I/O itself (IOPMEM_IOC_FILE_IO, the
 * default where the module has it and one end is a /dev/iopmemN buffer).
 */
#define IOPMEM_COPY_NO_KERNEL    (1U << 3)

struct iopmem_copy_opts {
	unsigned int qd;     /* I/Os in flight; 0: IOPMEM_COPY_DEFAULT_QD */
	size_t chunk;        /* bytes per I/O, a multiple of 4096; 0: the default */
	unsigned int flags;  /* IOPMEM_COPY_* */
	struct iopmem_buf *stage; /* file to file: stage through this buffer (P2P both legs) */
	/*
	 * Called as bytes complete, and when a signal interrupts a read, write
	 * or io_uring wait; a non-zero return cancels the copy (-ECANCELED).
	 */
	int (*progress)(void *arg, uint64_t done, uint64_t total);
	void *progress_arg;
	uint64_t reserved[4]; /* must be zero */
};

/* iopmem_copy_result.fallbacks: why bytes went through host RAM. */
#define IOPMEM_FB_TOPOLOGY  (1U << 0) /* the topology has no P2P path between the ends */
#define IOPMEM_FB_NO_DIRECT (1U << 1) /* the file cannot be opened with O_DIRECT */
#define IOPMEM_FB_REFUSED   (1U << 2) /* the kernel refused to DMA to/from the device pages */
#define IOPMEM_FB_UNALIGNED (1U << 3) /* head, tail or offsets not aligned for O_DIRECT */
#define IOPMEM_FB_NO_DMA    (1U << 4) /* no device can DMA the bytes (no file end, or not on PCI) */
#define IOPMEM_FB_FORCED    (1U << 5) /* IOPMEM_COPY_FORCE_BOUNCE */
#define IOPMEM_FB_NO_STAGE  (1U << 6) /* file to file without a device stage buffer:
					* host RAM by DMA (no CPU copy, not refused
					* by IOPMEM_COPY_NO_FALLBACK) */

struct iopmem_copy_result {
	uint64_t bytes;         /* bytes copied (all of len on success) */
	uint64_t bytes_p2p;     /* moved by DMA between a device and device memory */
	uint64_t bytes_direct;  /* moved by DMA between a device and host memory */
	uint64_t bytes_bounced; /* copied by the CPU through host RAM */
	unsigned int fallbacks; /* IOPMEM_FB_* */
	char reason[768];       /* the fallbacks in words; "" when there were none */
	char engine[16];        /* "uring_cmd", "iopmem.ko", "io_uring" or "pread/pwrite" */
	double seconds;         /* wall time of the copy */
	unsigned int qd;        /* I/Os in flight at most, as run (1 without io_uring) */
	unsigned int align;     /* O_DIRECT alignment used, bytes; 0 when no end is a file */
	uint64_t chunk;         /* bytes per I/O, as run (cut to the copy's size) */
	uint64_t bytes_kernel;  /* of bytes_p2p, moved by I/O iopmem.ko issued (no mapping) */
	uint64_t reserved[1];   /* zeroed by the library */
};

IOPMEM_API int iopmem_copy(struct iopmem_ctx *ctx, const struct iopmem_end *src,
			   const struct iopmem_end *dst, uint64_t len,
			   const struct iopmem_copy_opts *opts, struct iopmem_copy_result *res);
IOPMEM_API const char *iopmem_copy_path(const struct iopmem_copy_result *res);
IOPMEM_API int64_t iopmem_end_capacity(const struct iopmem_end *end);

#ifdef __cplusplus
}
#endif

#endif /* LIBIOPMEM_H */
