// SPDX-License-Identifier: GPL-2.0
/*
 * Always compiles. If it does not, kbuild itself failed against this kernel
 * (wrong compiler, broken headers) and no probe's absence means anything.
 */
#include <linux/types.h>
int iopmem_conftest(void);
int iopmem_conftest(void)
{
	return 0;
}
