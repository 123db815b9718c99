// SPDX-License-Identifier: MIT
/*
 * The outside reference of iopmem bench: fio with io_uring and O_DIRECT, the
 * same chunk size, queue depth and byte count, between the storage and host
 * RAM. It says what the storage gives a tool that is not libiopmem, so the
 * host-dma run (libiopmem's own engine into RAM) and through it every other
 * mode can be read against a known yardstick.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define FIO_OUT_MAX (1 << 20)

/* Run argv with stdout into a buffer (NUL-terminated). Return: exit status, or -errno. */
static int run_capture(char *const argv[], char *out, size_t len)
{
	size_t got = 0;
	int pfd[2], st = 0;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -errno;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		dup2(pfd[1], STDOUT_FILENO);
		if (devnull >= 0)
			dup2(devnull, STDERR_FILENO);
		signal(SIGINT, SIG_DFL);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		ssize_t n = read(pfd[0], out + got, len - 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == len - 1)
			break;
	}
	out[got] = '\0';
	close(pfd[0]);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* Pick the figures out of fio's JSON. Return: 0, or -EPROTO. */
static int fio_parse(const char *out, int write, struct figure *f)
{
	const char *start = strchr(out, '{');
	json_t *doc = start ? json_loads(start, JSON_DISABLE_EOF_CHECK, NULL) : NULL;
	json_t *job = json_array_get(json_object_get(doc, "jobs"), 0);
	json_t *dir = json_object_get(job, write ? "write" : "read");
	double cpu_pct = json_number_value(json_object_get(job, "usr_cpu")) +
			 json_number_value(json_object_get(job, "sys_cpu"));
	double job_ms = json_number_value(json_object_get(job, "job_runtime"));
	double io_ms = json_number_value(json_object_get(dir, "runtime"));
	double bytes = json_number_value(json_object_get(dir, "io_bytes"));
	int ret = 0;

	if (!dir || io_ms <= 0 || bytes <= 0)
		ret = -EPROTO;
	else {
		f->gbps = bytes / (io_ms / 1e3) / 1e9;
		f->cpu_per_gib = cpu_pct / 100 * (job_ms / 1e3) / (bytes / (1 << 30));
		f->bounced = 0;
		f->path = "host-dma";
	}
	json_decref(doc);
	return ret;
}

/**
 * bench_fio() - fio's figures for the same transfer into or out of host RAM.
 * @storage: the file or block device.
 * @write: RAM -> storage (fio overwrites the first @size bytes, as bench does).
 * @chunk, @qd, @size: as the other modes ran.
 * @f: filled in on success.
 * @why: on failure, a sentence.
 *
 * Return: 0, or -1 with @why set (fio missing, failed, or said nothing usable).
 */
int bench_fio(const char *storage, int write, uint64_t chunk, uint64_t qd, uint64_t size,
	      struct figure *f, char *why, size_t whylen)
{
	char file[512], bs[32], depth[32], sz[32], *out = malloc(FIO_OUT_MAX);
	char *const argv[] = { "fio", "--name=iopmem-bench-reference", file, write ? "--rw=write" : "--rw=read",
			       bs, depth, sz, "--ioengine=io_uring", "--direct=1", "--output-format=json",
			       NULL };
	size_t i, k;
	int ret;

	why[0] = '\0';
	if (!out) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	/* fio takes ':' in a file name as a separator: escape it. */
	k = (size_t)snprintf(file, sizeof(file), "--filename=");
	for (i = 0; storage[i] && k + 3 < sizeof(file); i++) {
		if (storage[i] == ':')
			file[k++] = '\\';
		file[k++] = storage[i];
	}
	file[k] = '\0';
	snprintf(bs, sizeof(bs), "--bs=%llu", (unsigned long long)chunk);
	snprintf(depth, sizeof(depth), "--iodepth=%llu", (unsigned long long)qd);
	snprintf(sz, sizeof(sz), "--size=%llu", (unsigned long long)size);
	ret = run_capture(argv, out, FIO_OUT_MAX);
	if (ret == 127 || ret == -ENOENT)
		snprintf(why, whylen, "fio is not installed (apt-get install fio)");
	else if (ret)
		snprintf(why, whylen, "fio failed (%s %d)", ret < 0 ? "error" : "exit status",
			 ret < 0 ? -ret : ret);
	else if (fio_parse(out, write, f))
		snprintf(why, whylen, "fio's output has no %s figures", write ? "write" : "read");
	free(out);
	return ret || why[0] ? -1 : 0;
}
