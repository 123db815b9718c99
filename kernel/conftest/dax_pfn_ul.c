// SPDX-License-Identifier: GPL-2.0
/* dax_operations.direct_access returns a plain pfn (6.17+: pfn_t is gone). */
#include <linux/dax.h>
long iopmem_conftest(struct dax_device *dax_dev, pgoff_t pgoff, long nr_pages,
		     enum dax_access_mode mode, void **kaddr, unsigned long *pfn);
long iopmem_conftest(struct dax_device *dax_dev, pgoff_t pgoff, long nr_pages,
		     enum dax_access_mode mode, void **kaddr, unsigned long *pfn)
{
	return 0;
}

const struct dax_operations iopmem_conftest_ops = {
	.direct_access = iopmem_conftest,
};
