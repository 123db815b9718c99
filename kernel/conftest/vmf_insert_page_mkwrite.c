// SPDX-License-Identifier: GPL-2.0
/*
 * vmf_insert_page_mkwrite(): ZONE_DEVICE pages mapped as ordinary refcounted
 * pages (6.15+, where FS-DAX and P2PDMA pages idle at refcount 0 and fs/dax
 * maps them this way; devmap PTEs are gone from 6.17 on).
 */
#include <linux/mm.h>
vm_fault_t iopmem_conftest(struct vm_fault *vmf, struct page *page);
vm_fault_t iopmem_conftest(struct vm_fault *vmf, struct page *page)
{
	return vmf_insert_page_mkwrite(vmf, page, true);
}
