// SPDX-License-Identifier: GPL-2.0
/*
 * <linux/io_uring/cmd.h> and io_uring_cmd.sqe (6.12 has them); in 6.1, the command's
 * payload was io_uring_cmd.cmd in <linux/io_uring.h>.
 */
#include <linux/io_uring/cmd.h>
const void *iopmem_conftest(const struct io_uring_cmd *cmd);
const void *iopmem_conftest(const struct io_uring_cmd *cmd)
{
	return cmd->sqe->cmd;
}
