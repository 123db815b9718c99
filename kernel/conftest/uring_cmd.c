// SPDX-License-Identifier: GPL-2.0
/* file_operations.uring_cmd: io_uring passthrough commands (6.1 has it). */
#include <linux/fs.h>

static int iopmem_conftest(struct io_uring_cmd *cmd, unsigned int issue_flags)
{
	return 0;
}

const struct file_operations iopmem_conftest_fops = {
	.uring_cmd = iopmem_conftest,
};
