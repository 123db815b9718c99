/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel API differences between the kernels iopmem supports, keyed on the
 * IOPMEM_HAVE_* results of conftest.sh (never on LINUX_VERSION_CODE: distro
 * kernels backport). Code elsewhere calls these helpers unconditionally.
 */
#ifndef IOPMEM_COMPAT_H
#define IOPMEM_COMPAT_H

#include <linux/mm.h>
#include "conftest.h"

#ifndef IOPMEM_HAVE_VM_FLAGS_SET
/* Before 6.3 vma->vm_flags was written directly. */
static inline void vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags |= flags;
}
#endif

#ifdef IOPMEM_HAVE_PFN_T
#include <linux/pfn_t.h>
/*
 * A PFN_DEV|PFN_MAP pfn makes a "devmap" PTE: GUP recognises it, looks up the
 * dev_pagemap and takes page references, which is what lets O_DIRECT and
 * io_uring hand BAR pages to another device's DMA.
 */
static inline vm_fault_t iopmem_insert_devmap_pfn(struct vm_area_struct *vma,
						  unsigned long addr,
						  unsigned long pfn)
{
	return vmf_insert_mixed(vma, addr, __pfn_to_pfn_t(pfn, PFN_DEV | PFN_MAP));
}
#else
#error "iopmem: this kernel has no pfn_t/devmap PTEs; it is not supported yet"
#endif

#endif /* IOPMEM_COMPAT_H */
