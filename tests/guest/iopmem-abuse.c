// SPDX-License-Identifier: MIT
/*
 * iopmem-abuse: the ways a user can hold /dev/iopmemN wrong, and what the
 * driver must answer; and unbinding the device under live mappings.
 *
 *   iopmem-abuse info DEV        print IOPMEM_IOC_INFO as key=value lines
 *   iopmem-abuse bad DEV         bad mmap/ioctl/permission cases
 *   iopmem-abuse unbind DEV BDF  unbind with live mappings, then rebind
 *   iopmem-abuse p2p DEV BDF     print IOPMEM_IOC_P2P's verdict for client BDF
 *   iopmem-abuse fileio DEV FILE read|write FOFF BOFF LEN [MODE]
 *                                one IOPMEM_IOC_FILE_IO (FILE opened O_RDONLY
 *                                for read, O_WRONLY for write, or as MODE says:
 *                                ro, wo); prints done=N errno=E, exits with E
 *   iopmem-abuse fileio-unbind DEV NVME BDF
 *                                unbind while the module's file I/O runs
 *
 * Prints "ok - ..." / "not ok - ..." per check; exits with the failure count.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "iopmem_map.h"



/* mmap that reports errno (0 on success, the mapping unmapped again). */
static int try_mmap(int fd, size_t len, int prot, int flags, off_t off)
{
	void *p = mmap(NULL, len, prot, flags, fd, off);

	if (p == MAP_FAILED)
		return errno;
	munmap(p, len);
	return 0;
}


static int cmd_info(const char *dev)
{
	struct iopmem_info i = { 0 };
	int fd = open(dev, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || ioctl(fd, IOPMEM_IOC_INFO, &i) < 0) {
		perror(dev);
		return 1;
	}
	printf("abi_version=%u\npci_dev=%04x:%02x:%02x.%u\nbar=%u\nbackend=%u\nmemtype=%u\n"
	       "flags=%#x\nsize=%llu\nbar_size=%llu\ncpu_addr=%#llx\nbus_addr=%#llx\n",
	       i.abi_version, i.pci_domain, i.pci_bus, i.pci_dev, i.pci_fn, i.bar, i.backend,
	       i.memtype, i.flags, (unsigned long long)i.size, (unsigned long long)i.bar_size,
	       (unsigned long long)i.cpu_addr, (unsigned long long)i.bus_addr);
	close(fd);
	return 0;
}

static void bad_mmaps(const struct tmap *m, const char *dev)
{
	size_t size = m->info.size, pg = (size_t)sysconf(_SC_PAGESIZE);
	int rw = PROT_READ | PROT_WRITE, err, fd;

	err = try_mmap(m->fd, pg, rw, MAP_PRIVATE, 0);
	check(err == EINVAL, "MAP_PRIVATE is refused with EINVAL", err);
	err = try_mmap(m->fd, size + pg, rw, MAP_SHARED, 0);
	check(err == ENXIO, "a mapping longer than the BAR is refused with ENXIO", err);
	err = try_mmap(m->fd, pg, rw, MAP_SHARED, (off_t)size);
	check(err == ENXIO, "a mapping at offset == size is refused with ENXIO", err);
	err = try_mmap(m->fd, pg, rw, MAP_SHARED, (off_t)(size - pg));
	check(err == 0, "the last page maps", err);
	err = try_mmap(m->fd, pg, rw, MAP_SHARED, 100);
	check(err == EINVAL, "an unaligned offset is refused with EINVAL", err);
	err = try_mmap(m->fd, 3 * pg + 100, rw, MAP_SHARED, 0);
	check(err == 0, "a length that is not a page multiple maps", err);

	fd = open(dev, O_RDONLY | O_CLOEXEC);
	err = fd < 0 ? errno : try_mmap(fd, pg, rw, MAP_SHARED, 0);
	check(err == EACCES, "PROT_WRITE over a read-only fd is refused with EACCES", err);
	if (fd >= 0)
		close(fd);
}

static void bad_misc(struct tmap *m)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	void *p;
	int err;

	err = ioctl(m->fd, _IO(IOPMEM_IOC_MAGIC, 0x7f)) < 0 ? errno : 0;
	check(err == ENOTTY, "an unknown ioctl fails with ENOTTY", err);

	p = mremap(m->p, m->len, m->len + 16 * pg, MREMAP_MAYMOVE);
	err = p == MAP_FAILED ? errno : 0;
	check(p == MAP_FAILED, "mremap() cannot grow a mapping", err);
	if (p != MAP_FAILED)
		m->p = p;
}

/* A forked child writes through its own mapping; the parent must see it. */
static void shared_between_processes(struct tmap *m, const char *dev)
{
	pid_t pid = fork();
	int st = 0;

	if (pid == 0) {
		struct tmap c;

		if (tmap_open(&c, dev, 8 * PG))
			_exit(3);
		memset(c.p + 5 * PG, 0xa5, 4096);
		/* And through the inherited mapping, after fork(). */
		m->p[6 * PG] = 0x5a;
		tmap_close(&c);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	check(WIFEXITED(st) && WEXITSTATUS(st) == 0 && m->p[5 * PG] == 0xa5 &&
		      m->p[5 * PG + 4095] == 0xa5 && m->p[6 * PG] == 0x5a,
	      "two processes (and a fork()ed mapping) share the BAR", 0);
}

static void unprivileged(const char *dev)
{
	pid_t pid = fork();
	int st = 0;

	if (pid == 0) {
		int fd;

		if (setgid(65534) || setuid(65534))
			_exit(3);
		fd = open(dev, O_RDWR | O_CLOEXEC);
		_exit(fd < 0 && errno == EACCES ? 0 : 1);
	}
	waitpid(pid, &st, 0);
	check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "an unprivileged user gets EACCES", 0);
}

static int cmd_bad(const char *dev)
{
	struct tmap m;
	int err = tmap_open(&m, dev, 16 * PG);

	check(err == 0, "open, INFO and a 64 KiB shared mapping work", -err);
	if (err)
		return test_failures;
	bad_mmaps(&m, dev);
	bad_misc(&m);
	shared_between_processes(&m, dev);
	unprivileged(dev);
	tmap_close(&m);
	return test_failures;
}

/*
 * Unbind while a child holds a mapping: the child's next touch must raise
 * SIGBUS, the parent's open fd must answer ENODEV, and after a rebind the BAR
 * must be back with its bytes.
 */
static int cmd_unbind(const char *dev, const char *bdf)
{
	int go[2], err, st = 0;
	struct tmap m;
	pid_t pid;
	char c;

	if (tmap_open(&m, dev, 1 << 20) || pipe(go)) {
		perror(dev);
		return 1;
	}
	memset(m.p, 0x3c, 1 << 20);
	pid = fork();
	if (pid == 0) {
		volatile uint8_t *p = m.p;

		if (read(go[0], &c, 1) != 1)
			_exit(4);
		p[4096] = 1; /* must not return */
		_exit(0);
	}
	err = sysfs_write("/sys/bus/pci/drivers/iopmem/unbind", bdf);
	check(err == 0, "unbind with live mappings completes", -err);
	check(write(go[1], "x", 1) == 1, "child told to touch its mapping", errno);
	waitpid(pid, &st, 0);
	check(WIFSIGNALED(st) && WTERMSIG(st) == SIGBUS, "the child's next touch raises SIGBUS", 0);
	err = ioctl(m.fd, IOPMEM_IOC_INFO, &m.info) < 0 ? errno : 0;
	check(err == ENODEV, "INFO on a file opened before unbind fails with ENODEV", err);
	err = try_mmap(m.fd, 4096, PROT_READ, MAP_SHARED, 0);
	check(err == ENODEV, "mmap on a file opened before unbind fails with ENODEV", err);
	tmap_close(&m);

	err = sysfs_write("/sys/bus/pci/drivers/iopmem/bind", bdf);
	check(err == 0, "rebind succeeds", -err);
	err = tmap_open(&m, dev, 1 << 20);
	check(err == 0, "the node is back after rebind", -err);
	if (!err) {
		check(m.p[0] == 0x3c && m.p[((size_t)1 << 20) - 1] == 0x3c, "the BAR's bytes survived", 0);
		tmap_close(&m);
	}
	return test_failures;
}


static int cmd_p2p(const char *dev, const char *bdf)
{
	static const char *const names[] = { "SELF", "SWITCH", "HOSTBRIDGE", "CROSS-HB", "NONE" };
	struct iopmem_p2p_query q = { 0 };
	unsigned int d, b, s, f;
	int fd, ret;

	if (sscanf(bdf, "%x:%x:%x.%u", &d, &b, &s, &f) != 4) {
		fprintf(stderr, "iopmem-abuse: bad BDF %s\n", bdf);
		return 2;
	}
	q.client_domain = d;
	q.client_bus = (uint8_t)b;
	q.client_dev = (uint8_t)s;
	q.client_fn = (uint8_t)f;
	fd = open(dev, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		perror(dev);
		return 2;
	}
	ret = ioctl(fd, IOPMEM_IOC_P2P, &q) < 0 ? errno : 0;
	close(fd);
	printf("path=%s errno=%d flags=%#x distance=%d dma_addr=%#llx\n",
	       q.path < 5 ? names[q.path] : "?", ret, q.flags, q.distance,
	       (unsigned long long)q.dma_addr);
	return 0;
}

static int cmd_fileio(char **argv, int argc)
{
	struct iopmem_file_io io = { 0 };
	const char *mode = argc > 8 ? argv[8] : "";
	int fd, dfd, flags, ret;

	io.op = !strcmp(argv[4], "read") ? IOPMEM_FILE_READ : IOPMEM_FILE_WRITE;
	flags = io.op == IOPMEM_FILE_READ ? O_RDONLY : O_WRONLY;
	if (!strcmp(mode, "ro"))
		flags = O_RDONLY;
	else if (!strcmp(mode, "wo"))
		flags = O_WRONLY;
	io.file_offset = strtoull(argv[5], NULL, 0);
	io.bar_offset = strtoull(argv[6], NULL, 0);
	io.len = strtoull(argv[7], NULL, 0);
	dfd = open(argv[2], O_RDWR | O_CLOEXEC);
	fd = open(argv[3], flags | O_CLOEXEC);
	if (dfd < 0 || fd < 0) {
		perror("iopmem-abuse fileio: open");
		return 2;
	}
	io.fd = (uint32_t)fd;
	ret = ioctl(dfd, IOPMEM_IOC_FILE_IO, &io) < 0 ? errno : 0;
	printf("done=%llu errno=%d\n", (unsigned long long)io.done, ret);
	close(fd);
	close(dfd);
	return ret;
}

/*
 * The child of fileio-unbind: 4 MiB kernel-issued reads NVMe -> BAR in a
 * loop, one request at a time, into BAR [44, 48) MiB (scratch in lab-p2p's
 * layout: the host checks none of it).
 */
static void fileio_loop(int dfd, int nfd)
{
	struct iopmem_file_io io = { .fd = (uint32_t)nfd, .op = IOPMEM_FILE_READ,
				     .bar_offset = 44U << 20, .len = 4U << 20 };
	int n = 0;

	for (;;) {
		io.done = 0;
		if (ioctl(dfd, IOPMEM_IOC_FILE_IO, &io) < 0)
			_exit(errno == ENODEV ? (n ? 0 : 3) : 2);
		n++;
	}
}

int main(int argc, char **argv)
{
	/* Line by line, so a hang shows where it is in the lab's console log. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "info"))
		return cmd_info(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "bad"))
		return cmd_bad(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "unbind"))
		return cmd_unbind(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "p2p"))
		return cmd_p2p(argv[2], argv[3]);
	if (argc == 5 && !strcmp(argv[1], "fileio-unbind"))
		return unbind_under_file_io(argv[2], argv[3], argv[4], fileio_loop,
					    "the module's file I/O (ioctl)");
	if ((argc == 8 || argc == 9) && !strcmp(argv[1], "fileio"))
		return cmd_fileio(argv, argc);
	fprintf(stderr, "usage: iopmem-abuse info|bad DEV | unbind|p2p DEV BDF |\n"
			"       fileio DEV FILE read|write FOFF BOFF LEN [ro|wo] | fileio-unbind DEV NVME BDF\n");
	return 2;
}
