// SPDX-License-Identifier: GPL-2.0
/* Queue features live in queue_limits (6.11+), not in queue flags. */
#include <linux/blkdev.h>
unsigned int iopmem_conftest(void);
unsigned int iopmem_conftest(void)
{
	struct queue_limits lim = {
		.features = BLK_FEAT_DAX | BLK_FEAT_WRITE_CACHE | BLK_FEAT_FUA,
	};

	return (__force unsigned int)lim.features;
}
