// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring_cmd_done(cmd, ret, issue_flags): no res2 argument (7.2; 6.1 and
 * 6.12 take four).
 */
#include <linux/io_uring/cmd.h>
void iopmem_conftest(struct io_uring_cmd *cmd, unsigned int issue_flags);
void iopmem_conftest(struct io_uring_cmd *cmd, unsigned int issue_flags)
{
	io_uring_cmd_done(cmd, 0, issue_flags);
}
