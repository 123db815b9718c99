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
LIB_SRCS := $(wildcard lib/*.c)
LIB_OBJS := $(LIB_SRCS:lib/%.c=build/lib/%.o)

all: module tools test-progs

tools: tools/iopmem

build/lib/%.o: lib/%.c lib/internal.h include/libiopmem.h
	@mkdir -p build/lib
	$(CC) $(TEST_CFLAGS) -fPIC -Iinclude -c -o $@ $<

build/libiopmem.a: $(LIB_OBJS)
	$(AR) rcs $@ $^

tools/iopmem: $(wildcard tools/*.c) tools/cli.h include/libiopmem.h include/uapi/iopmem.h build/libiopmem.a
	$(CC) $(TEST_CFLAGS) -Iinclude -o $@ $(wildcard tools/*.c) build/libiopmem.a

module:
	$(MAKE) -C kernel

test-progs: $(GUEST_PROGS) tools/iopmem

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
	rm -rf build $(GUEST_PROGS) tools/iopmem

.PHONY: all module tools test-progs setup demo check clean
