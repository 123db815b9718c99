// SPDX-License-Identifier: GPL-2.0
/* block_device_operations.open takes the gendisk and a blk_mode_t (6.5+). */
#include <linux/blkdev.h>
static int iopmem_conftest_open(struct gendisk *disk, blk_mode_t mode)
{
	return 0;
}

const struct block_device_operations iopmem_conftest_ops = {
	.open = iopmem_conftest_open,
};
