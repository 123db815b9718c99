// SPDX-License-Identifier: GPL-2.0
/* The DAX holder can be told the memory is about to go (MF_MEM_PRE_REMOVE, 6.8+). */
#include <linux/dax.h>
#include <linux/mm.h>
int iopmem_conftest(struct dax_device *dax_dev);
int iopmem_conftest(struct dax_device *dax_dev)
{
	if (!dax_holder(dax_dev))
		return 0;
	return dax_holder_notify_failure(dax_dev, 0, U64_MAX, MF_MEM_PRE_REMOVE);
}
