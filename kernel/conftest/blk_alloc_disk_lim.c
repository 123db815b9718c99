// SPDX-License-Identifier: GPL-2.0
/* blk_alloc_disk() takes the queue limits (6.9+); before, they were set after. */
#include <linux/blkdev.h>
struct gendisk *iopmem_conftest(void);
struct gendisk *iopmem_conftest(void)
{
	struct queue_limits lim = { };

	return blk_alloc_disk(&lim, NUMA_NO_NODE);
}
