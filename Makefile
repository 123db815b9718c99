# SPDX-License-Identifier: GPL-2.0
# iopmem top-level build.
#   make              build iopmem.ko for the running kernel and the test programs
#   make demo         boot the emulated lab and show NVMe -> BAR -> NVMe by P2P DMA
#   make check        every test, on every lab kernel and topology
# demo/check install what they need (Debian 12, as root). KERNEL= and TOPO=
# pick the demo's lab machine; KERNELS= and TOPOS= narrow check.
KERNEL ?= 6.1
TOPO ?= switch
CFLAGS ?= -O2 -g
TEST_CFLAGS := -std=c11 -Wall -Wextra -Werror $(CFLAGS)
GUEST_PROGS := tests/guest/iopmem-dio tests/guest/iopmem-abuse

all: module test-progs

module:
	$(MAKE) -C kernel

test-progs: $(GUEST_PROGS)

tests/guest/iopmem-dio: tests/guest/iopmem-dio.c tests/guest/iopmem_map.h include/uapi/iopmem.h
	$(CC) $(TEST_CFLAGS) -o $@ $< -luring

tests/guest/iopmem-abuse: tests/guest/iopmem-abuse.c tests/guest/iopmem_map.h include/uapi/iopmem.h
	$(CC) $(TEST_CFLAGS) -o $@ $<

setup:
	lab/setup

demo: setup
	$(MAKE) test-progs
	lab/demo --kernel $(KERNEL) --topo $(TOPO)

check: setup
	$(MAKE) test-progs
	tests/run

clean:
	-$(MAKE) -C kernel clean
	rm -rf build $(GUEST_PROGS)

.PHONY: all module test-progs setup demo check clean
