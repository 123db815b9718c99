// SPDX-License-Identifier: GPL-2.0
/* vm_flags_set(): 6.3+ made vma->vm_flags read-only. */
#include <linux/mm.h>
void iopmem_conftest(struct vm_area_struct *vma);
void iopmem_conftest(struct vm_area_struct *vma)
{
	vm_flags_set(vma, VM_MIXEDMAP);
}
