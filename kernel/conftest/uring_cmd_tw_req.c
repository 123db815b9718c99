// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring task work callbacks take (struct io_tw_req, io_tw_token_t) (7.2;
 * 6.12 passes the command and issue flags).
 */
#include <linux/io_uring/cmd.h>
void iopmem_conftest(struct io_tw_req tw_req, io_tw_token_t tw);
void iopmem_conftest(struct io_tw_req tw_req, io_tw_token_t tw)
{
	io_uring_cmd_complete_in_task(io_uring_cmd_from_tw(tw_req), iopmem_conftest);
}
