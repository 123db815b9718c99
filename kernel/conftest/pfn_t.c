// SPDX-License-Identifier: GPL-2.0
/* pfn_t and vmf_insert_mixed(vma, addr, pfn_t): removed in newer kernels. */
#include <linux/mm.h>
#include <linux/pfn_t.h>
vm_fault_t iopmem_conftest(struct vm_area_struct *vma, unsigned long addr, unsigned long pfn);
vm_fault_t iopmem_conftest(struct vm_area_struct *vma, unsigned long addr, unsigned long pfn)
{
	return vmf_insert_mixed(vma, addr, __pfn_to_pfn_t(pfn, PFN_DEV | PFN_MAP));
}
