#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest half of tests/lab-install: make install (DKMS builds the module for
# the guest's kernel), use what was installed, make uninstall, nothing left.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/tap.sh"
. "$root/tests/guest/lib.sh"
cd "$root" || exit 1
log=$LAB_OUT/install.log

t "make install succeeds (library, CLI, man pages, udev rule, DKMS module)" \
	sh -c 'make install >"$0" 2>&1 || { tail -20 "$0"; exit 1; }' "$log"
t "iopmem is on PATH and reports its version" sh -c 'iopmem --version | grep -q "^iopmem 0.1.0"'
t "pkg-config knows libiopmem" pkg-config --exists libiopmem
builds_against_lib() {
	cat >/tmp/uses-lib.c <<-'PROG'
		#include <libiopmem.h>
		#include <stdio.h>
		int main(void)
		{
			struct iopmem_ctx *c;
			int r = iopmem_ctx_new(&c, NULL);
			printf("%zu PCI functions\n", iopmem_func_count(c));
			iopmem_ctx_free(c);
			return r != 0;
		}
	PROG
	# shellcheck disable=SC2046
	cc -std=c11 /tmp/uses-lib.c $(pkg-config --cflags --libs libiopmem) -o /tmp/uses-lib && /tmp/uses-lib
}
t "a program builds and runs against the installed shared library" builds_against_lib
t "man finds the installed iopmem(1) and iopmem_copy(3)" sh -c 'man -w iopmem | grep -q "/usr/local/.*man1/iopmem.1" && man -w iopmem_copy | grep -q "/usr/local/.*man3/libiopmem.3"'
t "the udev rule and the iopmem group are installed" sh -c 'test -f /etc/udev/rules.d/60-iopmem.rules && getent group iopmem'
t "dkms built and installed the module for the running kernel" \
	sh -c 'dkms status -m iopmem | grep -q "$(uname -r).*installed"'
rmmod iopmem
t "modprobe iopmem loads the DKMS build and it binds the BAR" modprobe_binds
t "... which is the one in updates/dkms" sh -c 'modinfo -n iopmem | grep -q updates/dkms'
rmmod iopmem
t "make uninstall succeeds" sh -c 'make uninstall >>"$0" 2>&1 || { tail -20 "$0"; exit 1; }' "$log"
t "nothing installed is left" sh -c '! ls /usr/local/bin/iopmem /usr/local/lib/libiopmem* /usr/local/include/libiopmem.h \
	/usr/src/iopmem-0.1.0 /etc/udev/rules.d/60-iopmem.rules /usr/local/share/man/man1/iopmem.1 2>/dev/null | grep -q .'
t "dkms no longer lists iopmem" sh -c '! dkms status -m iopmem 2>/dev/null | grep -q iopmem'
t "modprobe iopmem now fails" sh -c '! modprobe iopmem 2>/dev/null'
