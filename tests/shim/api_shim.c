/* A test shim preloaded into an API process (LD_PRELOAD) by the e2e suites, to put it in
 * situations a healthy machine does not produce on demand. Nothing of the product links it.
 *
 * LINEHOOK_SHIM_CLOCK_OFFSET_MS=N   the process's wall clock (CLOCK_REALTIME) runs N ms off
 *                                   (negative: behind), as on a web host whose clock is wrong
 * LINEHOOK_SHIM_TERM_BEFORE_ACCEPT=PATH
 *                                   when PATH exists, accept() first sends the process SIGTERM
 *                                   and then accepts: the signal lands after every check the
 *                                   accept loop makes and before the accept call itself
 * LINEHOOK_SHIM_TERM_BEFORE_WAIT=PATH
 *                                   the same before waitpid() (the fcgi_processes supervisor)
 * LINEHOOK_SHIM_COUNT_FLIGHTS=1     counts the process's round trips to the database: a run
 *                                   of send() calls up to the next recv() is one flight
 *                                   (Connector/C sends and receives with those; libfcgi uses
 *                                   read and write). Each accept() logs the count since the
 *                                   one before ("test shim: N flights"), so with one
 *                                   connection per request the line after a request is its
 *                                   count.
 *
 * It acts in webhooks-api processes only, so it can be preloaded into a script that starts
 * other programs too (the web server, a spawner). */
#include <dlfcn.h>
#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static bool is_api(void)
{
	return !strcmp(program_invocation_short_name, "webhooks-api");
}

/* Sends this process SIGTERM when the file named by the variable exists. */
static void term_if(const char *var)
{
	const char *trigger = getenv(var);
	int saved = errno;
	if(trigger && is_api() && access(trigger, F_OK) == 0) {
		fprintf(stderr, "test shim: %s exists: SIGTERM to myself\n", trigger);
		kill(getpid(), SIGTERM);
	}
	errno = saved;
}

int clock_gettime(clockid_t clk, struct timespec *ts)
{
	static int (*real)(clockid_t, struct timespec *);
	const char *off = getenv("LINEHOOK_SHIM_CLOCK_OFFSET_MS");
	long long ns;
	int rc;
	if(!real)
		*(void **)&real = dlsym(RTLD_NEXT, "clock_gettime"); /* POSIX's way to a function */
	rc = real(clk, ts);
	if(rc || clk != CLOCK_REALTIME || !off || !is_api())
		return rc;
	ns = (long long)ts->tv_sec * 1000000000LL + ts->tv_nsec + strtoll(off, NULL, 10) * 1000000LL;
	ts->tv_sec = (time_t)(ns / 1000000000LL);
	ts->tv_nsec = (long)(ns % 1000000000LL);
	return 0;
}

static long flights;
static bool sending;

ssize_t send(int fd, const void *buf, size_t n, int flags)
{
	static ssize_t (*real)(int, const void *, size_t, int);
	if(!real)
		*(void **)&real = dlsym(RTLD_NEXT, "send");
	if(!sending)
		flights++;
	sending = true;
	return real(fd, buf, n, flags);
}

ssize_t recv(int fd, void *buf, size_t n, int flags)
{
	static ssize_t (*real)(int, void *, size_t, int);
	if(!real)
		*(void **)&real = dlsym(RTLD_NEXT, "recv");
	sending = false;
	return real(fd, buf, n, flags);
}

int accept(int fd, __SOCKADDR_ARG addr, socklen_t *__restrict len)
{
	static int (*real)(int, __SOCKADDR_ARG, socklen_t *__restrict);
	if(!real)
		*(void **)&real = dlsym(RTLD_NEXT, "accept");
	if(getenv("LINEHOOK_SHIM_COUNT_FLIGHTS") && is_api()) {
		int saved = errno;
		fprintf(stderr, "test shim: %ld flights\n", flights);
		flights = 0;
		errno = saved;
	}
	term_if("LINEHOOK_SHIM_TERM_BEFORE_ACCEPT");
	return real(fd, addr, len);
}

pid_t waitpid(pid_t pid, int *status, int options)
{
	static pid_t (*real)(pid_t, int *, int);
	if(!real)
		*(void **)&real = dlsym(RTLD_NEXT, "waitpid");
	term_if("LINEHOOK_SHIM_TERM_BEFORE_WAIT");
	return real(pid, status, options);
}
