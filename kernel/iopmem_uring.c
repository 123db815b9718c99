// SPDX-License-Identifier: GPL-2.0
/*
 * IOPMEM_URING_CMD_FILE_IO: the file I/O of IOPMEM_IOC_FILE_IO as an io_uring
 * passthrough command (IORING_OP_URING_CMD on /dev/iopmemN), completing
 * asynchronously, so a queue of many requests in flight holds no thread.
 *
 * A request is checked and its bvecs built exactly as for the ioctl
 * (iopmem_fileio.c), then handed to the file as an asynchronous kiocb. The
 * file's completion may come in interrupt context: it only records the
 * result, drops the request's I/O reference (the BAR's pages are done with,
 * so unbind need not wait for anything but the devices' DMA) and queues task
 * work, which releases the file and memory and posts the CQE.
 *
 * io_uring first issues a command where it must not sleep. A block device
 * takes the request there with IOCB_NOWAIT: it either refuses up front
 * (-EAGAIN, nothing queued: io_uring issues the command again from its
 * worker, where it may sleep) or queues it; a request that then finds no
 * free tag completes with -EAGAIN having moved nothing, and task work issues
 * it again without IOCB_NOWAIT (a whole request again is always right: it
 * copies the same bytes to the same place). A regular file's direct I/O can
 * stop half-way under IOCB_NOWAIT and report a short count, which would read
 * as the end of the file: it is always issued from io_uring's worker. Either
 * way the worker is free again once the I/O is queued.
 */
#include <linux/fs.h>
#include <linux/slab.h>

#include "compat.h"
#include "iopmem_drv.h"

#ifdef IOPMEM_URING_CMD

/**
 * struct iopmem_uring_io - an io_uring file I/O request in flight.
 * @fio: the request (its kiocb's completion is iopmem_uring_complete()).
 * @cmd: the io_uring command it answers.
 * @idev: whose I/O reference it holds until the file completes it.
 * @res: the file's result, from completion to task work.
 */
struct iopmem_uring_io {
	struct iopmem_fio fio;
	struct io_uring_cmd *cmd;
	struct iopmem_dev *idev;
	long res;
};

/* What the command keeps in its inline pdu: the request. */
struct iopmem_uring_pdu {
	struct iopmem_uring_io *io;
};

static struct iopmem_uring_pdu *iopmem_uring_pdu(struct io_uring_cmd *cmd)
{
	BUILD_BUG_ON(sizeof(struct iopmem_uring_pdu) > sizeof_field(struct io_uring_cmd, pdu));
	return (struct iopmem_uring_pdu *)cmd->pdu;
}

/*
 * A non-blocking request that found the device busy, again where it may
 * sleep. Return: -EIOCBQUEUED, or the result to post.
 */
static long iopmem_uring_reissue(struct iopmem_uring_io *io)
{
	long ret;

	if (!iopmem_io_get(io->idev))
		return -ENODEV;
	io->fio.kiocb.ki_flags &= ~IOCB_NOWAIT;
	iopmem_fio_arm(&io->fio);
	ret = iopmem_fio_submit(&io->fio);
	if (ret != -EIOCBQUEUED)
		iopmem_io_put(io->idev);
	return ret;
}

/* Task work, in the submitter's context: release and post the CQE. */
static void iopmem_uring_finish(struct io_uring_cmd *cmd, unsigned int issue_flags)
{
	struct iopmem_uring_io *io = iopmem_uring_pdu(cmd)->io;
	long res = io->res;

	if (res == -EAGAIN && (io->fio.kiocb.ki_flags & IOCB_NOWAIT)) {
		res = iopmem_uring_reissue(io);
		if (res == -EIOCBQUEUED)
			return;
	}
	iopmem_fio_release(&io->fio);
	kfree(io);
	iopmem_uring_done(cmd, res, issue_flags);
}

#ifdef IOPMEM_HAVE_URING_CMD_TW_REQ
static void iopmem_uring_tw(struct io_tw_req tw_req, io_tw_token_t tw)
{
	iopmem_uring_finish(io_uring_cmd_from_tw(tw_req), IO_URING_CMD_TASK_WORK_ISSUE_FLAGS);
}
#else
static void iopmem_uring_tw(struct io_uring_cmd *cmd, unsigned int issue_flags)
{
	iopmem_uring_finish(cmd, issue_flags);
}
#endif

/* The file's completion: any context. */
static void iopmem_uring_complete(struct kiocb *kiocb, long res)
{
	struct iopmem_uring_io *io = container_of(kiocb, struct iopmem_uring_io, fio.kiocb);

	io->res = res;
	iopmem_io_put(io->idev);
	io_uring_cmd_complete_in_task(io->cmd, iopmem_uring_tw);
}

/*
 * Copy the command out of the SQE once: the SQE is shared with user space,
 * which may change it while the request is checked.
 */
static int iopmem_uring_arg(struct io_uring_cmd *cmd, unsigned int issue_flags,
			    struct iopmem_file_io *iof)
{
	if (cmd->cmd_op != IOPMEM_URING_CMD_FILE_IO)
		return -ENOTTY;
	/* The command is 72 bytes: only a 128-byte SQE holds it. */
	if (!(issue_flags & IO_URING_F_SQE128) || (cmd->flags & IORING_URING_CMD_FIXED))
		return -EINVAL;
	memcpy(iof, iopmem_uring_payload(cmd), sizeof(*iof));
	return 0;
}

/* May the request go in now, without sleeping? Only a block device's (above). */
static bool iopmem_uring_nowait(const struct iopmem_fio *fio)
{
	const struct file *file = fio->kiocb.ki_filp;

	return S_ISBLK(file_inode(file)->i_mode) && (file->f_mode & FMODE_NOWAIT);
}

/*
 * Check and issue; the request is the file's once this returns -EIOCBQUEUED.
 * -EAGAIN: not issued, io_uring issues the command again where it may sleep.
 */
static long iopmem_uring_issue(struct iopmem_dev *idev, struct io_uring_cmd *cmd,
			       const struct iopmem_file_io *iof, bool nonblock)
{
	struct iopmem_uring_io *io;
	long ret;

	io = kzalloc(sizeof(*io), GFP_KERNEL);
	if (!io)
		return -ENOMEM;
	ret = iopmem_fio_prepare(idev, cmd->file, iof, &io->fio);
	if (ret) {
		kfree(io);
		return ret;
	}
	io->cmd = cmd;
	io->idev = idev;
	io->fio.kiocb.ki_complete = iopmem_uring_complete;
	iopmem_uring_pdu(cmd)->io = io;
	ret = -EAGAIN;
	if (!nonblock || iopmem_uring_nowait(&io->fio)) {
		if (nonblock)
			io->fio.kiocb.ki_flags |= IOCB_NOWAIT;
		ret = iopmem_fio_submit(&io->fio);
	}
	if (ret != -EIOCBQUEUED) {
		/* Done (or refused) before anything was queued: no completion comes. */
		iopmem_fio_release(&io->fio);
		kfree(io);
	}
	return ret;
}

/**
 * iopmem_uring_cmd() - file_operations.uring_cmd of /dev/iopmemN.
 * @cmd: IOPMEM_URING_CMD_FILE_IO, a struct iopmem_file_io in a 128-byte SQE.
 * @issue_flags: io_uring's IO_URING_F_* for this issue.
 *
 * Return: -EIOCBQUEUED (the CQE, with the bytes moved, is posted by the
 * file's completion or was posted already), -EAGAIN (issue again where it
 * may sleep), or one of the errors of IOPMEM_IOC_FILE_IO, which io_uring
 * posts.
 */
int iopmem_uring_cmd(struct io_uring_cmd *cmd, unsigned int issue_flags)
{
	struct iopmem_dev *idev = cmd->file->private_data;
	struct iopmem_file_io iof;
	long ret;

	ret = iopmem_uring_arg(cmd, issue_flags, &iof);
	if (ret)
		return ret;
	if (!iopmem_io_get(idev))
		return -ENODEV;
	ret = iopmem_uring_issue(idev, cmd, &iof, issue_flags & IO_URING_F_NONBLOCK);
	if (ret == -EIOCBQUEUED)
		return ret;
	iopmem_io_put(idev);
	if (ret < 0)
		return ret;
	/*
	 * The file finished the request at once (a regular file's direct I/O
	 * whose bios completed before it returned). 6.1's io_uring posts a
	 * handler's result only when it is 0 or an error: from its worker, a
	 * byte count would be dropped and the request never completed. So the
	 * result is posted here, as ublk does, on every kernel.
	 */
	iopmem_uring_done(cmd, ret, issue_flags);
	return -EIOCBQUEUED;
}

#endif /* IOPMEM_URING_CMD */
