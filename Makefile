# SPDX-License-Identifier: GPL-2.0
# iopmem top-level build.
#   make              build iopmem.ko for the running kernel and the test programs
#   make demo         boot the emulated lab and show NVMe -> BAR -> NVMe by P2P DMA
#   make check        every test, on every lab kernel and topology
#   make bench        iopmem bench in every lab machine (build/bench/report.md)
#   make stress       lifetime, hot-unplug, fuzz and soak at full strength on the
#                     debug lab kernel (KASAN, lockdep, kmemleak); build/stress/
# demo/check install what they need (Debian 12, as root). KERNEL= and TOPO=
# pick the demo's lab machine; KERNELS= and TOPOS= narrow check.
#   make install      library, header, CLI, man pages, udev rule, completion, and
#                     the module through DKMS (PREFIX=/usr/local, DESTDIR honoured)
#   make uninstall    removes all of it
#   make deb          build/deb/: iopmem-dkms, libiopmem0, libiopmem-dev, iopmem-tools
#   make abi-check    libiopmem.so against the committed ABI (lib/libiopmem.abi);
#   make abi-dump     regenerates that baseline, for deliberate ABI changes only
VERSION := 0.1.0
PREFIX ?= /usr/local
DKMS_SRC := $(DESTDIR)/usr/src/iopmem-$(VERSION)
KERNEL ?= 6.1
TOPO ?= switch
CFLAGS ?= -O2 -g
TEST_CFLAGS := -std=c11 -Wall -Wextra -Werror $(CFLAGS)
GUEST_PROGS := tests/guest/iopmem-dio tests/guest/iopmem-abuse tests/guest/iopmem-life \
	tests/guest/iopmem-fuzz tests/guest/iopmem-soak tests/guest/iopmem-uffd tests/guest/iopmem-uring \
	tests/guest/iopmem-pin
# libiopmem(3) documents every function; man FUNCTION finds it through these links.
MAN3_LINKS := iopmem_ctx_new iopmem_ctx_free iopmem_ctx_error iopmem_func_count iopmem_func_get \
	iopmem_func_find iopmem_func_bar_addrs iopmem_p2p_verdict iopmem_path_name iopmem_cpu_trusted \
	iopmem_platform_get iopmem_buf_open iopmem_buf_close iopmem_buf_addr iopmem_buf_size \
	iopmem_buf_provider iopmem_buf_kind iopmem_buf_name iopmem_copy iopmem_copy_path \
	iopmem_end_capacity iopmem_version iopmem_abi_version
LIB_SRCS := $(wildcard lib/*.c)
# What libiopmem links with (the archive's users need it too), and the CLI's own.
LIB_LIBS := -luring -lz
CLI_LIBS := $(LIB_LIBS) -ljansson -lpci
LIB_OBJS := $(LIB_SRCS:lib/%.c=build/lib/%.o)
OBJCOPY ?= objcopy
# The committed ABI of libiopmem.so (abidw XML), see abi-dump and abi-check.
# --exported-interfaces-only: without it abidw 2.2 records a function declared
# in an earlier file (iopmem_p2p_verdict, called in copy.c) without its
# symbol, and abidiff then misses every change to its types.
ABI_BASELINE := lib/libiopmem.abi
ABIDW_FLAGS := --exported-interfaces-only --no-corpus-path --no-comp-dir-path --no-show-locs --headers-dir $(CURDIR)/include \
	--drop-private-types
# Host-only test programs of the library (tests/unit/run-lib).
LIB_TEST_PROGS := build/unit/lib-unit build/unit/interpose-so build/unit/interpose-a \
	build/unit/uring-nosubmit.so build/unit/uring-noinit.so build/unit/uring-hangread.so

all: module tools test-progs

tools: tools/iopmem build/libiopmem.so.$(VERSION) build/libiopmem.pc

# Everything is hidden but what include/libiopmem.h marks IOPMEM_API.
build/lib/%.o: lib/%.c lib/internal.h lib/copy_internal.h include/libiopmem.h include/uapi/iopmem.h
	@mkdir -p build/lib
	$(CC) $(TEST_CFLAGS) -fPIC -fvisibility=hidden -Iinclude -c -o $@ $<

# One relocatable object with the hidden (internal) symbols made local: a
# program linking the archive can define its own sysfs_read() or ctx_fail()
# without a clash, and the library's calls still reach its own.
build/libiopmem.a: $(LIB_OBJS)
	$(LD) -r -o build/lib/libiopmem-all.o $^
	$(OBJCOPY) --localize-hidden build/lib/libiopmem-all.o
	rm -f $@
	$(AR) rcs $@ build/lib/libiopmem-all.o

# Versioned exports (lib/libiopmem.map) and no undefined symbols left over.
build/libiopmem.so.$(VERSION): $(LIB_OBJS) lib/libiopmem.map
	$(CC) -shared -Wl,-soname,libiopmem.so.0 -Wl,--version-script=lib/libiopmem.map \
		-Wl,--no-undefined -o $@ $(LIB_OBJS) $(LIB_LIBS)
	ln -sf libiopmem.so.$(VERSION) build/libiopmem.so.0

# The ABI baseline, lib/libiopmem.abi, is the released ABI of libiopmem.so.0:
# it must only change deliberately. After a reviewed change to the public
# header (new function, new field in reserved space...), `make abi-dump` is
# the one step that regenerates it; commit the result with that change.
# abi-check (tests/run) fails on any difference, compatible or not.
abi-dump: build/libiopmem.so.$(VERSION)
	abidw $(ABIDW_FLAGS) --out-file $(ABI_BASELINE) $<

abi-check: build/libiopmem.so.$(VERSION)
	@test -f $(ABI_BASELINE) || { echo "abi-check: no $(ABI_BASELINE): make abi-dump" >&2; exit 1; }
	abidiff $(ABI_BASELINE) $< >build/abi-check.txt || \
		{ cat build/abi-check.txt; echo "abi-check: libiopmem.so differs from $(ABI_BASELINE); if that is meant, make abi-dump" >&2; exit 1; }

build/libiopmem.pc: lib/libiopmem.pc.in
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' $< >$@

tools/iopmem: $(wildcard tools/*.c) tools/cli.h include/libiopmem.h include/uapi/iopmem.h build/libiopmem.a
	$(CC) $(TEST_CFLAGS) -Iinclude -o $@ $(wildcard tools/*.c) build/libiopmem.a $(CLI_LIBS)

# The CLI with AddressSanitizer and UBSan, for tests/unit/cli-fuzz.
build/asan/iopmem: $(wildcard tools/*.c) $(LIB_SRCS) tools/cli.h lib/internal.h lib/copy_internal.h include/libiopmem.h include/uapi/iopmem.h
	@mkdir -p build/asan
	$(CC) $(TEST_CFLAGS) -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer \
		-Iinclude -o $@ $(wildcard tools/*.c) $(LIB_SRCS) $(CLI_LIBS)

module:
	$(MAKE) -C kernel

test-progs: $(GUEST_PROGS) tools/iopmem tests/unit/copy-unit build/asan/iopmem \
	build/libiopmem.so.$(VERSION) $(LIB_TEST_PROGS)

tests/unit/copy-unit: tests/unit/copy-unit.c include/libiopmem.h build/libiopmem.a
	$(CC) $(TEST_CFLAGS) -Iinclude -o $@ $< build/libiopmem.a $(LIB_LIBS)

build/unit/lib-unit: tests/unit/lib-unit.c include/libiopmem.h include/uapi/iopmem.h build/libiopmem.a
	@mkdir -p build/unit
	$(CC) $(TEST_CFLAGS) -Iinclude -o $@ $< build/libiopmem.a $(LIB_LIBS)

# The same program, defining the library's internal names itself, linked
# against the shared library and against the archive.
build/unit/interpose-so: tests/unit/interpose.c include/libiopmem.h build/libiopmem.so.$(VERSION)
	@mkdir -p build/unit
	$(CC) $(TEST_CFLAGS) -Iinclude -o $@ $< build/libiopmem.so.$(VERSION) -Wl,-rpath,'$$ORIGIN/..'

build/unit/interpose-a: tests/unit/interpose.c include/libiopmem.h build/libiopmem.a
	@mkdir -p build/unit
	$(CC) $(TEST_CFLAGS) -Iinclude -o $@ $< build/libiopmem.a $(LIB_LIBS)

# io_uring failing under the CLI (LD_PRELOAD), for tests/unit/run-cli.
SHIM_FLAGS_nosubmit := -DNO_SUBMIT
SHIM_FLAGS_noinit := -DNO_INIT
SHIM_FLAGS_hangread := -DNO_INIT -DHANG_READ
build/unit/uring-nosubmit.so build/unit/uring-noinit.so build/unit/uring-hangread.so: build/unit/uring-%.so: tests/unit/uring-shim.c
	@mkdir -p build/unit
	$(CC) $(TEST_CFLAGS) -shared -fPIC $(SHIM_FLAGS_$*) -o $@ $<

tests/guest/iopmem-dio: tests/guest/iopmem-dio.c tests/guest/iopmem_map.h include/uapi/iopmem.h
	$(CC) $(TEST_CFLAGS) -o $@ $< -luring

tests/guest/iopmem-life: tests/guest/iopmem-life.c tests/guest/iopmem_map.h include/uapi/iopmem.h
	$(CC) $(TEST_CFLAGS) -o $@ $< -luring

tests/guest/iopmem-fuzz: tests/guest/iopmem-fuzz.c tests/guest/iopmem_map.h include/uapi/iopmem.h
	$(CC) $(TEST_CFLAGS) -o $@ $< -luring

tests/guest/iopmem-soak: tests/guest/iopmem-soak.c tests/guest/soak_mailbox.h include/libiopmem.h build/libiopmem.a
	$(CC) $(TEST_CFLAGS) -Iinclude -o $@ $< build/libiopmem.a $(LIB_LIBS)

tests/guest/iopmem-uffd: tests/guest/iopmem-uffd.c tests/guest/iopmem_map.h include/uapi/iopmem.h
	$(CC) $(TEST_CFLAGS) -o $@ $< -lpthread

tests/guest/iopmem-uring: tests/guest/iopmem-uring.c tests/guest/iopmem_map.h include/uapi/iopmem.h
	$(CC) $(TEST_CFLAGS) -o $@ $< -luring

tests/guest/iopmem-abuse: tests/guest/iopmem-abuse.c tests/guest/iopmem_map.h include/uapi/iopmem.h
	$(CC) $(TEST_CFLAGS) -o $@ $<

tests/guest/iopmem-pin: tests/guest/iopmem-pin.c tests/guest/iopmem_map.h include/uapi/iopmem.h
	$(CC) $(TEST_CFLAGS) -o $@ $<

setup:
	lab/setup

demo: setup
	$(MAKE) test-progs
	lab/demo --kernel $(KERNEL) --topo $(TOPO)

check: setup
	$(MAKE) test-progs
	tests/run

# Not part of check: the debug kernel (built once, ~25 min) and the full counts.
stress: setup
	$(MAKE) test-progs
	tests/stress

# iopmem bench in every lab machine; tables for docs/PERFORMANCE.md in build/bench/.
bench: setup
	$(MAKE) test-progs
	lab/bench

install: tools
	@command -v dkms >/dev/null || { echo "make install: dkms is needed (apt-get install dkms)" >&2; exit 1; }
	install -D -m 0644 build/libiopmem.a $(DESTDIR)$(PREFIX)/lib/libiopmem.a
	install -D -m 0755 build/libiopmem.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libiopmem.so.$(VERSION)
	ln -sf libiopmem.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libiopmem.so.0
	ln -sf libiopmem.so.0 $(DESTDIR)$(PREFIX)/lib/libiopmem.so
	install -D -m 0644 build/libiopmem.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/libiopmem.pc
	install -D -m 0644 include/libiopmem.h $(DESTDIR)$(PREFIX)/include/libiopmem.h
	install -D -m 0644 include/uapi/iopmem.h $(DESTDIR)$(PREFIX)/include/iopmem.h
	install -D -m 0755 tools/iopmem $(DESTDIR)$(PREFIX)/bin/iopmem
	install -D -m 0644 docs/man/iopmem.1 $(DESTDIR)$(PREFIX)/share/man/man1/iopmem.1
	install -D -m 0644 docs/man/iopmem.4 $(DESTDIR)$(PREFIX)/share/man/man4/iopmem.4
	install -D -m 0644 docs/man/libiopmem.3 $(DESTDIR)$(PREFIX)/share/man/man3/libiopmem.3
	for f in $(MAN3_LINKS); do ln -sf libiopmem.3 $(DESTDIR)$(PREFIX)/share/man/man3/$$f.3; done
	install -D -m 0644 tools/completion/iopmem $(DESTDIR)$(PREFIX)/share/bash-completion/completions/iopmem
	install -D -m 0644 tools/60-iopmem.rules $(DESTDIR)/etc/udev/rules.d/60-iopmem.rules
	getent group iopmem >/dev/null || groupadd --system iopmem
	install -d $(DKMS_SRC)/conftest $(DKMS_SRC)/uapi
	install -m 0644 $(filter-out %.mod.c kernel/conftest.h,$(wildcard kernel/*.[ch])) \
		kernel/Kbuild kernel/Makefile kernel/dkms.conf $(DKMS_SRC)/
	install -m 0755 kernel/conftest.sh $(DKMS_SRC)/
	install -m 0644 kernel/conftest/*.c $(DKMS_SRC)/conftest/
	install -m 0644 include/uapi/iopmem.h $(DKMS_SRC)/uapi/
	dkms add -m iopmem -v $(VERSION) >/dev/null 2>&1 || dkms status -m iopmem -v $(VERSION) | grep -q iopmem
	dkms install -m iopmem -v $(VERSION)
	-ldconfig

deb: tools
	MAN3_LINKS="$(MAN3_LINKS)" packaging/mkdeb build/deb

uninstall:
	-dkms remove -m iopmem -v $(VERSION) --all
	rm -rf $(DKMS_SRC)
	rm -f $(DESTDIR)$(PREFIX)/lib/libiopmem.a $(DESTDIR)$(PREFIX)/lib/libiopmem.so*
	rm -f $(DESTDIR)$(PREFIX)/lib/pkgconfig/libiopmem.pc
	rm -f $(DESTDIR)$(PREFIX)/include/libiopmem.h $(DESTDIR)$(PREFIX)/include/iopmem.h
	rm -f $(DESTDIR)$(PREFIX)/bin/iopmem
	rm -f $(DESTDIR)$(PREFIX)/share/man/man1/iopmem.1 $(DESTDIR)$(PREFIX)/share/man/man4/iopmem.4
	rm -f $(DESTDIR)$(PREFIX)/share/man/man3/libiopmem.3
	for f in $(MAN3_LINKS); do rm -f $(DESTDIR)$(PREFIX)/share/man/man3/$$f.3; done
	rm -f $(DESTDIR)$(PREFIX)/share/bash-completion/completions/iopmem
	rm -f $(DESTDIR)/etc/udev/rules.d/60-iopmem.rules
	-ldconfig

clean:
	-$(MAKE) -C kernel clean
	rm -rf build $(GUEST_PROGS) tools/iopmem tests/unit/copy-unit

.PHONY: all module tools test-progs abi-dump abi-check setup demo check stress bench install uninstall deb clean
