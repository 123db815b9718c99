/* SPDX-License-Identifier: MIT */
/*
 * The soak's mailbox: the last 4 KiB of the BAR, seen by the guest through
 * its mapping and by the host in the ivshmem file (lab/soak mirrors this
 * layout: four little-endian u32s).
 */
#ifndef IOPMEM_SOAK_MAILBOX_H
#define IOPMEM_SOAK_MAILBOX_H

#include <stdint.h>

#define SOAK_MAILBOX_SIZE 4096
#define SOAK_MAGIC 0x534f414bU /* "SOAK" */

enum soak_cmd {
	SOAK_READY = 1, /* guest: set up, waiting for round 0 */
	SOAK_GO = 2,    /* host: round's data seeded, copy it */
	SOAK_DONE = 3,  /* guest: both copies of the round finished */
	SOAK_FAIL = 4,  /* guest: a copy failed, errno in err */
	SOAK_STOP = 5,  /* host: no more rounds */
};

struct soak_mailbox {
	uint32_t magic;
	uint32_t cmd;
	uint32_t round;
	uint32_t err;
};

#endif
