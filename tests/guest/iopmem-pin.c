// SPDX-License-Identifier: MIT
/*
 * iopmem-pin: pages of the BAR pinned past the device's binding.
 *
 *   iopmem-pin unbind DEV BDF BACKEND
 *       vmsplice() 4 pages of the mapping into a pipe nobody reads, unbind:
 *       unbind returns within seconds, the BAR stays reserved (no rebind),
 *       the pipe still reads the bytes; once it lets go, the BAR is released
 *       and binds again. p2pdma backend: vmsplice() is refused outright.
 *   iopmem-pin unplug DEV BDF DIR
 *       the same pin, then waits for the device to be hot-unplugged (the host
 *       does it after DIR/pinned appears): the BAR's addresses stay reserved
 *       while the pin lives, and are free once it is gone; writes DIR/unpinned
 *       for the host to plug the device back.
 *
 * A pipe is a pin whose lifetime its owner decides: the same as an RDMA
 * registration or a driver holding a page. Prints "ok - ..." / "not ok - ..."
 * per check; exits with the failure count.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "iopmem_map.h"

struct pin {
	int pfd[2];
	unsigned long long bar;	/* CPU address of the BAR */
};

/* Fill 4 pages with 0x77 and vmsplice() them into a pipe. Return: its result. */
static ssize_t pin_pages(const char *dev, struct pin *pin)
{
	struct iopmem_info info;
	struct iovec iov;
	struct tmap m;
	ssize_t n;

	if (tmap_open(&m, dev, 16 * PG) || pipe(pin->pfd) || ioctl(m.fd, IOPMEM_IOC_INFO, &info)) {
		perror(dev);
		exit(1);
	}
	pin->bar = info.cpu_addr;
	memset(m.p, 0x77, 4 * PG);
	iov.iov_base = m.p;
	iov.iov_len = 4 * PG;
	n = vmsplice(pin->pfd[1], &iov, 1, 0);
	if (n == 4 * PG)
		check(pinned_pages(dev) == 4, "pages_pinned counts the 4 pages in the pipe", 0);
	/* The pipe's references are all that is left. */
	tmap_close(&m);
	return n;
}

/* Is the range starting at @start reserved by iopmem in /proc/iomem? */
static int bar_reserved(unsigned long long start)
{
	char line[256], want[32];
	FILE *f = fopen("/proc/iomem", "re");
	int found = 0;

	if (!f)
		return -1;
	snprintf(want, sizeof(want), "%llx-", start);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, " : iopmem") && strstr(line, want))
			found = 1;
	fclose(f);
	return found;
}

/* Poll up to 10 s for bar_reserved() to become @want. */
static int reserved_becomes(const struct pin *pin, int want)
{
	int i;

	for (i = 0; i < 100 && bar_reserved(pin->bar) != want; i++)
		usleep(100000);
	return bar_reserved(pin->bar) == want;
}

/* Read one page from the pipe, then close it: the pins go. Return: bytes read. */
static ssize_t unpin(struct pin *pin, unsigned char *page)
{
	ssize_t n = read(pin->pfd[0], page, PG);

	close(pin->pfd[0]);
	close(pin->pfd[1]);
	return n;
}

/* Wait up to @secs for @pid; 1 when it exited 0. */
static int exited_ok_within(pid_t pid, int secs)
{
	int st, i;

	for (i = 0; i < secs * 10; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) && WEXITSTATUS(st) == 0;
		usleep(100000);
	}
	return 0;
}

static int cmd_unbind(const char *dev, const char *bdf, int p2pdma)
{
	unsigned char page[PG];
	struct pin pin;
	ssize_t n;
	pid_t pid;

	n = pin_pages(dev, &pin);
	if (p2pdma) {
		check(n < 0, "p2pdma pages are not handed to vmsplice (CPU-side GUP)", errno);
		return test_failures;
	}
	check(n == 4 * PG, "vmsplice pins 4 BAR pages into a pipe", errno);
	pid = fork();
	if (pid == 0) {
		/* The pipe must not stay open here, or its pages never drop. */
		close(pin.pfd[0]);
		close(pin.pfd[1]);
		_exit(sysfs_write("/sys/bus/pci/drivers/iopmem/unbind", bdf) ? 1 : 0);
	}
	check(exited_ok_within(pid, 10), "unbind returns within 10 s with the pages pinned", 0);
	check(bar_reserved(pin.bar) == 1, "the BAR stays reserved for iopmem in /proc/iomem", 0);
	check(sysfs_write("/sys/bus/pci/drivers/iopmem/bind", bdf) != 0,
	      "binding the BAR again is refused while its pages are pinned", 0);
	n = unpin(&pin, page);
	check(n == PG && page[0] == 0x77 && page[PG - 1] == 0x77,
	      "the pipe still reads the pinned bytes after unbind", errno);
	check(reserved_becomes(&pin, 0), "the BAR is released within 10 s of the pins", 0);
	check(sysfs_write("/sys/bus/pci/drivers/iopmem/bind", bdf) == 0, "rebind succeeds", 0);
	return test_failures;
}

/* Create DIR/NAME, a handshake file for lab/hotplug on the host. */
static void tell_host(const char *dir, const char *name)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
}

static int cmd_unplug(const char *dev, const char *bdf, const char *dir)
{
	char path[256];
	unsigned char page[PG];
	struct pin pin;
	int i;

	check(pin_pages(dev, &pin) == 4 * PG, "vmsplice pins 4 BAR pages into a pipe", errno);
	tell_host(dir, "pinned");
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", bdf);
	for (i = 0; i < 3000 && access(path, F_OK) == 0; i++)
		usleep(100000);
	check(access(path, F_OK) != 0, "the device is hot-unplugged with its pages pinned", 0);
	/* The PCI core dropped the BAR's resource: iopmem takes the range again. */
	check(reserved_becomes(&pin, 1), "its addresses stay reserved by iopmem after the removal", 0);
	check(unpin(&pin, page) == PG, "the pipe can still be read (the struct pages live)", errno);
	check(reserved_becomes(&pin, 0), "the addresses are free within 10 s of the pins", 0);
	tell_host(dir, "unpinned");
	return test_failures;
}

int main(int argc, char **argv)
{
	/* Line by line, so a hang shows where it is in the lab's console log. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 5 && !strcmp(argv[1], "unbind"))
		return cmd_unbind(argv[2], argv[3], !strcmp(argv[4], "p2pdma"));
	if (argc == 5 && !strcmp(argv[1], "unplug"))
		return cmd_unplug(argv[2], argv[3], argv[4]);
	fprintf(stderr, "usage: iopmem-pin unbind DEV BDF BACKEND | unplug DEV BDF DIR\n");
	return 2;
}
