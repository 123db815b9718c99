#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Hold mappings of /dev/iopmemN across a mount of /dev/iopmem-blkN.

char-vs-disk.py NODE: opens NODE read-write and read-only, maps both, writes
through the writable mapping, prints "ready", then answers one command a
line on stdin, one answer a line on stdout:
  read         the first 4 bytes through the read-only mapping, hex
  mmap-write   a new writable mapping of the read-write descriptor: "ok" or
               the errno's name
  write        a store through the writable mapping made before: "ok" (a
               refused one kills the process with SIGBUS)
"""
import errno
import mmap
import os
import sys

node = sys.argv[1]
rw = os.open(node, os.O_RDWR)
ro = os.open(node, os.O_RDONLY)
w = mmap.mmap(rw, 4096)
r = mmap.mmap(ro, 4096, prot=mmap.PROT_READ)
w[0:4] = b"\x5a\x5a\x5a\x5a"
print("ready", flush=True)
for line in sys.stdin:
    cmd = line.strip()
    if cmd == "read":
        print(r[0:4].hex(), flush=True)
    elif cmd == "mmap-write":
        try:
            mmap.mmap(rw, 4096).close()
            print("ok", flush=True)
        except OSError as e:
            print(errno.errorcode.get(e.errno, str(e.errno)), flush=True)
    elif cmd == "write":
        w[0:4] = b"\xa5\xa5\xa5\xa5"
        print("ok", flush=True)
